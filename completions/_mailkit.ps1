
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'mailkit' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'mailkit'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'mailkit' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one document per result; JSON Lines for streams)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Send mail over SMTP: compose or pass a raw message, via a relay or direct to the MX')
            [CompletionResult]::new('fetch', 'fetch', [CompletionResultType]::ParameterValue, 'Download messages over POP3 to a Maildir, an mbox or stdout, never losing one')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the messages in a POP3 mailbox without changing it')
            [CompletionResult]::new('dele', 'dele', [CompletionResultType]::ParameterValue, 'Delete messages from a POP3 mailbox by UIDL or number')
            [CompletionResult]::new('resolve', 'resolve', [CompletionResultType]::ParameterValue, 'Query DNS like dig, and explain where mail for a domain goes')
            [CompletionResult]::new('parse', 'parse', [CompletionResultType]::ParameterValue, 'Inspect raw messages, mbox files and Maildirs: headers, MIME tree, attachments')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Write shell completions and man pages (for packagers and the repository)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mailkit;send' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one document per result; JSON Lines for streams)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailkit;fetch' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one document per result; JSON Lines for streams)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailkit;list' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one document per result; JSON Lines for streams)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailkit;dele' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one document per result; JSON Lines for streams)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailkit;resolve' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one document per result; JSON Lines for streams)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailkit;parse' {
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Only the N-th message (1-based) of each mbox or Maildir')
            [CompletionResult]::new('--message', '--message', [CompletionResultType]::ParameterName, 'Only the N-th message (1-based) of each mbox or Maildir')
            [CompletionResult]::new('-g', '-g', [CompletionResultType]::ParameterName, 'Print the decoded value of one header (each occurrence on its own line); exit 1 if absent')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Print the decoded value of one header (each occurrence on its own line); exit 1 if absent')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Write the decoded content of part ID to stdout, bytes unchanged; exit 1 if absent')
            [CompletionResult]::new('--part', '--part', [CompletionResultType]::ParameterName, 'Write the decoded content of part ID to stdout, bytes unchanged; exit 1 if absent')
            [CompletionResult]::new('-x', '-x', [CompletionResultType]::ParameterName, 'Save attachments into DIR under safe names, never overwriting, and print where each went')
            [CompletionResult]::new('--extract', '--extract', [CompletionResultType]::ParameterName, 'Save attachments into DIR under safe names, never overwriting, and print where each went')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Print every header, decoded (RFC 2047 words, RFC 2231 parameters, charsets), one per line')
            [CompletionResult]::new('--headers', '--headers', [CompletionResultType]::ParameterName, 'Print every header, decoded (RFC 2047 words, RFC 2231 parameters, charsets), one per line')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Print the best text body: text/plain, else HTML converted to text')
            [CompletionResult]::new('--text', '--text', [CompletionResultType]::ParameterName, 'Print the best text body: text/plain, else HTML converted to text')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Print the Received chain as a table of hops, oldest first, with the delay between hops')
            [CompletionResult]::new('--received', '--received', [CompletionResultType]::ParameterName, 'Print the Received chain as a table of hops, oldest first, with the delay between hops')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one document per result; JSON Lines for streams)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailkit;generate' {
            [CompletionResult]::new('--out-dir', '--out-dir', [CompletionResultType]::ParameterName, 'Directory that receives `completions/` and `man/`')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one document per result; JSON Lines for streams)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailkit;help' {
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Send mail over SMTP: compose or pass a raw message, via a relay or direct to the MX')
            [CompletionResult]::new('fetch', 'fetch', [CompletionResultType]::ParameterValue, 'Download messages over POP3 to a Maildir, an mbox or stdout, never losing one')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the messages in a POP3 mailbox without changing it')
            [CompletionResult]::new('dele', 'dele', [CompletionResultType]::ParameterValue, 'Delete messages from a POP3 mailbox by UIDL or number')
            [CompletionResult]::new('resolve', 'resolve', [CompletionResultType]::ParameterValue, 'Query DNS like dig, and explain where mail for a domain goes')
            [CompletionResult]::new('parse', 'parse', [CompletionResultType]::ParameterValue, 'Inspect raw messages, mbox files and Maildirs: headers, MIME tree, attachments')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Write shell completions and man pages (for packagers and the repository)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mailkit;help;send' {
            break
        }
        'mailkit;help;fetch' {
            break
        }
        'mailkit;help;list' {
            break
        }
        'mailkit;help;dele' {
            break
        }
        'mailkit;help;resolve' {
            break
        }
        'mailkit;help;parse' {
            break
        }
        'mailkit;help;generate' {
            break
        }
        'mailkit;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
