
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
            cand --uidl 'Fetch the message with this UIDL (repeatable)'
            cand -m 'Deliver into this Maildir (created if missing)'
            cand --maildir 'Deliver into this Maildir (created if missing)'
            cand --mbox 'Append to this mbox file (mboxrd quoting, locked while writing)'
            cand --max-size 'Skip messages larger than this many bytes (suffixes k, M, G)'
            cand --state-file 'The seen-UIDL state file (default: $XDG_STATE_HOME/mailkit/uidl/[account+]user@host:port)'
            cand --batch 'Messages per group commit (one directory fsync and one state write per batch)'
            cand -a 'Named account from the accounts file (host, port, TLS, user, password source)'
            cand --account 'Named account from the accounts file (host, port, TLS, user, password source)'
            cand -s 'POP3 server, HOST or HOST:PORT (default port 995, or 110 with --tls starttls|none)'
            cand --server 'POP3 server, HOST or HOST:PORT (default port 995, or 110 with --tls starttls|none)'
            cand -u 'Login name'
            cand --user 'Login name'
            cand --tls 'Connection protection: tls (implicit, port 995), starttls (STLS on 110, required), none'
            cand --ca-file 'Extra trusted CA certificates (PEM), for a private CA'
            cand --auth 'Login mechanism (auto: SASL PLAIN if offered, else USER/PASS, else APOP)'
            cand --password-file 'Read the password from this file (first line)'
            cand --password-command 'Run this shell command and use the first line it prints as the password'
            cand --oauth-token-command 'For --auth xoauth2: run this shell command to get the OAuth 2 access token (default: the account''s source, else $MAILKIT_OAUTH_TOKEN)'
            cand --timeout 'Seconds to wait for the connection and for each reply'
            cand -n 'Fetch only messages whose UIDL is not in the state file (seen before with another size counts as new)'
            cand --new 'Fetch only messages whose UIDL is not in the state file (seen before with another size counts as new)'
            cand --stdout 'Write one message to stdout, bytes unchanged (CRLF line ends as received)'
            cand -d 'Delete each message from the server once it is safely on disk'
            cand --delete 'Delete each message from the server once it is safely on disk'
            cand -i 'Pick the messages to fetch and to delete interactively (needs a terminal)'
            cand --interactive 'Pick the messages to fetch and to delete interactively (needs a terminal)'
            cand --insecure-skip-tls-verify 'Accept any TLS certificate (INSECURE: anyone on the path can read your mail)'
            cand --allow-cleartext-password 'Allow sending a password or token over a connection without TLS'
            cand --json 'Print results as JSON (one document per result; JSON Lines for streams)'
            cand -v 'Show the protocol transcript on stderr (secrets redacted)'
            cand --verbose 'Show the protocol transcript on stderr (secrets redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailkit;list'= {
            cand -a 'Named account from the accounts file (host, port, TLS, user, password source)'
            cand --account 'Named account from the accounts file (host, port, TLS, user, password source)'
            cand -s 'POP3 server, HOST or HOST:PORT (default port 995, or 110 with --tls starttls|none)'
            cand --server 'POP3 server, HOST or HOST:PORT (default port 995, or 110 with --tls starttls|none)'
            cand -u 'Login name'
            cand --user 'Login name'
            cand --tls 'Connection protection: tls (implicit, port 995), starttls (STLS on 110, required), none'
            cand --ca-file 'Extra trusted CA certificates (PEM), for a private CA'
            cand --auth 'Login mechanism (auto: SASL PLAIN if offered, else USER/PASS, else APOP)'
            cand --password-file 'Read the password from this file (first line)'
            cand --password-command 'Run this shell command and use the first line it prints as the password'
            cand --oauth-token-command 'For --auth xoauth2: run this shell command to get the OAuth 2 access token (default: the account''s source, else $MAILKIT_OAUTH_TOKEN)'
            cand --timeout 'Seconds to wait for the connection and for each reply'
            cand -H 'Also show From, Subject and Date (one TOP n 0 per message)'
            cand --headers 'Also show From, Subject and Date (one TOP n 0 per message)'
            cand --insecure-skip-tls-verify 'Accept any TLS certificate (INSECURE: anyone on the path can read your mail)'
            cand --allow-cleartext-password 'Allow sending a password or token over a connection without TLS'
            cand --json 'Print results as JSON (one document per result; JSON Lines for streams)'
            cand -v 'Show the protocol transcript on stderr (secrets redacted)'
            cand --verbose 'Show the protocol transcript on stderr (secrets redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailkit;dele'= {
            cand --uidl 'Delete the message with this UIDL (repeatable); refused if it is not on the server'
            cand -a 'Named account from the accounts file (host, port, TLS, user, password source)'
            cand --account 'Named account from the accounts file (host, port, TLS, user, password source)'
            cand -s 'POP3 server, HOST or HOST:PORT (default port 995, or 110 with --tls starttls|none)'
            cand --server 'POP3 server, HOST or HOST:PORT (default port 995, or 110 with --tls starttls|none)'
            cand -u 'Login name'
            cand --user 'Login name'
            cand --tls 'Connection protection: tls (implicit, port 995), starttls (STLS on 110, required), none'
            cand --ca-file 'Extra trusted CA certificates (PEM), for a private CA'
            cand --auth 'Login mechanism (auto: SASL PLAIN if offered, else USER/PASS, else APOP)'
            cand --password-file 'Read the password from this file (first line)'
            cand --password-command 'Run this shell command and use the first line it prints as the password'
            cand --oauth-token-command 'For --auth xoauth2: run this shell command to get the OAuth 2 access token (default: the account''s source, else $MAILKIT_OAUTH_TOKEN)'
            cand --timeout 'Seconds to wait for the connection and for each reply'
            cand -y 'Do not ask for confirmation (required when stdin is not a terminal)'
            cand --yes 'Do not ask for confirmation (required when stdin is not a terminal)'
            cand -n 'Show what would be deleted and change nothing'
            cand --dry-run 'Show what would be deleted and change nothing'
            cand --insecure-skip-tls-verify 'Accept any TLS certificate (INSECURE: anyone on the path can read your mail)'
            cand --allow-cleartext-password 'Allow sending a password or token over a connection without TLS'
            cand --json 'Print results as JSON (one document per result; JSON Lines for streams)'
            cand -v 'Show the protocol transcript on stderr (secrets redacted)'
            cand --verbose 'Show the protocol transcript on stderr (secrets redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
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
