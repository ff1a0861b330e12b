
use builtin;
use str;

set edit:completion:arg-completer[mailkit] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'mailkit'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'mailkit'= {
            cand --json 'Print results as JSON (one document per result; JSON Lines for streams)'
            cand -v 'Show the protocol transcript on stderr (secrets redacted)'
            cand --verbose 'Show the protocol transcript on stderr (secrets redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand send 'Send mail over SMTP: compose or pass a raw message, via a relay or direct to the MX'
            cand fetch 'Download messages over POP3 to a Maildir, an mbox or stdout, never losing one'
            cand list 'List the messages in a POP3 mailbox without changing it'
            cand dele 'Delete messages from a POP3 mailbox by UIDL or number'
            cand resolve 'Query DNS like dig, and explain where mail for a domain goes'
            cand parse 'Inspect raw messages, mbox files and Maildirs: headers, MIME tree, attachments'
            cand generate 'Write shell completions and man pages (for packagers and the repository)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mailkit;send'= {
            cand --json 'Print results as JSON (one document per result; JSON Lines for streams)'
            cand -v 'Show the protocol transcript on stderr (secrets redacted)'
            cand --verbose 'Show the protocol transcript on stderr (secrets redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailkit;fetch'= {
            cand --json 'Print results as JSON (one document per result; JSON Lines for streams)'
            cand -v 'Show the protocol transcript on stderr (secrets redacted)'
            cand --verbose 'Show the protocol transcript on stderr (secrets redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailkit;list'= {
            cand --json 'Print results as JSON (one document per result; JSON Lines for streams)'
            cand -v 'Show the protocol transcript on stderr (secrets redacted)'
            cand --verbose 'Show the protocol transcript on stderr (secrets redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailkit;dele'= {
            cand --json 'Print results as JSON (one document per result; JSON Lines for streams)'
            cand -v 'Show the protocol transcript on stderr (secrets redacted)'
            cand --verbose 'Show the protocol transcript on stderr (secrets redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailkit;resolve'= {
            cand --json 'Print results as JSON (one document per result; JSON Lines for streams)'
            cand -v 'Show the protocol transcript on stderr (secrets redacted)'
            cand --verbose 'Show the protocol transcript on stderr (secrets redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailkit;parse'= {
            cand -n 'Only the N-th message (1-based) of each mbox or Maildir'
            cand --message 'Only the N-th message (1-based) of each mbox or Maildir'
            cand -g 'Print the decoded value of one header (each occurrence on its own line); exit 1 if absent'
            cand --header 'Print the decoded value of one header (each occurrence on its own line); exit 1 if absent'
            cand -p 'Write the decoded content of part ID to stdout, bytes unchanged; exit 1 if absent'
            cand --part 'Write the decoded content of part ID to stdout, bytes unchanged; exit 1 if absent'
            cand -x 'Save attachments into DIR under safe names, never overwriting, and print where each went'
            cand --extract 'Save attachments into DIR under safe names, never overwriting, and print where each went'
            cand -H 'Print every header, decoded (RFC 2047 words, RFC 2231 parameters, charsets), one per line'
            cand --headers 'Print every header, decoded (RFC 2047 words, RFC 2231 parameters, charsets), one per line'
            cand -t 'Print the best text body: text/plain, else HTML converted to text'
            cand --text 'Print the best text body: text/plain, else HTML converted to text'
            cand -r 'Print the Received chain as a table of hops, oldest first, with the delay between hops'
            cand --received 'Print the Received chain as a table of hops, oldest first, with the delay between hops'
            cand --json 'Print results as JSON (one document per result; JSON Lines for streams)'
            cand -v 'Show the protocol transcript on stderr (secrets redacted)'
            cand --verbose 'Show the protocol transcript on stderr (secrets redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailkit;generate'= {
            cand --out-dir 'Directory that receives `completions/` and `man/`'
            cand --json 'Print results as JSON (one document per result; JSON Lines for streams)'
            cand -v 'Show the protocol transcript on stderr (secrets redacted)'
            cand --verbose 'Show the protocol transcript on stderr (secrets redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailkit;help'= {
            cand send 'Send mail over SMTP: compose or pass a raw message, via a relay or direct to the MX'
            cand fetch 'Download messages over POP3 to a Maildir, an mbox or stdout, never losing one'
            cand list 'List the messages in a POP3 mailbox without changing it'
            cand dele 'Delete messages from a POP3 mailbox by UIDL or number'
            cand resolve 'Query DNS like dig, and explain where mail for a domain goes'
            cand parse 'Inspect raw messages, mbox files and Maildirs: headers, MIME tree, attachments'
            cand generate 'Write shell completions and man pages (for packagers and the repository)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mailkit;help;send'= {
        }
        &'mailkit;help;fetch'= {
        }
        &'mailkit;help;list'= {
        }
        &'mailkit;help;dele'= {
        }
        &'mailkit;help;resolve'= {
        }
        &'mailkit;help;parse'= {
        }
        &'mailkit;help;generate'= {
        }
        &'mailkit;help;help'= {
        }
    ]
    $completions[$command]
}
