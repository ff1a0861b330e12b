
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
            [CompletionResult]::new('--uidl', '--uidl', [CompletionResultType]::ParameterName, 'Fetch the message with this UIDL (repeatable)')
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'Deliver into this Maildir (created if missing)')
            [CompletionResult]::new('--maildir', '--maildir', [CompletionResultType]::ParameterName, 'Deliver into this Maildir (created if missing)')
            [CompletionResult]::new('--mbox', '--mbox', [CompletionResultType]::ParameterName, 'Append to this mbox file (mboxrd quoting, locked while writing)')
            [CompletionResult]::new('--max-size', '--max-size', [CompletionResultType]::ParameterName, 'Skip messages larger than this many bytes (suffixes k, M, G)')
            [CompletionResult]::new('--state-file', '--state-file', [CompletionResultType]::ParameterName, 'The seen-UIDL state file (default: $XDG_STATE_HOME/mailkit/uidl/[account+]user@host:port)')
            [CompletionResult]::new('--batch', '--batch', [CompletionResultType]::ParameterName, 'Messages per group commit (one directory fsync and one state write per batch)')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Named account from the accounts file (host, port, TLS, user, password source)')
            [CompletionResult]::new('--account', '--account', [CompletionResultType]::ParameterName, 'Named account from the accounts file (host, port, TLS, user, password source)')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'POP3 server, HOST or HOST:PORT (default port 995, or 110 with --tls starttls|none)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'POP3 server, HOST or HOST:PORT (default port 995, or 110 with --tls starttls|none)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Login name')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Login name')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Connection protection: tls (implicit, port 995), starttls (STLS on 110, required), none')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Extra trusted CA certificates (PEM), for a private CA')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'Login mechanism (auto: SASL PLAIN if offered, else USER/PASS, else APOP)')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Read the password from this file (first line)')
            [CompletionResult]::new('--password-command', '--password-command', [CompletionResultType]::ParameterName, 'Run this shell command and use the first line it prints as the password')
            [CompletionResult]::new('--oauth-token-command', '--oauth-token-command', [CompletionResultType]::ParameterName, 'For --auth xoauth2: run this shell command to get the OAuth 2 access token (default: the account''s source, else $MAILKIT_OAUTH_TOKEN)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the connection and for each reply')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Fetch only messages whose UIDL is not in the state file (seen before with another size counts as new)')
            [CompletionResult]::new('--new', '--new', [CompletionResultType]::ParameterName, 'Fetch only messages whose UIDL is not in the state file (seen before with another size counts as new)')
            [CompletionResult]::new('--stdout', '--stdout', [CompletionResultType]::ParameterName, 'Write one message to stdout, bytes unchanged (CRLF line ends as received)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Delete each message from the server once it is safely on disk')
            [CompletionResult]::new('--delete', '--delete', [CompletionResultType]::ParameterName, 'Delete each message from the server once it is safely on disk')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Pick the messages to fetch and to delete interactively (needs a terminal)')
            [CompletionResult]::new('--interactive', '--interactive', [CompletionResultType]::ParameterName, 'Pick the messages to fetch and to delete interactively (needs a terminal)')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Accept any TLS certificate (INSECURE: anyone on the path can read your mail)')
            [CompletionResult]::new('--allow-cleartext-password', '--allow-cleartext-password', [CompletionResultType]::ParameterName, 'Allow sending a password or token over a connection without TLS')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one document per result; JSON Lines for streams)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailkit;list' {
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Named account from the accounts file (host, port, TLS, user, password source)')
            [CompletionResult]::new('--account', '--account', [CompletionResultType]::ParameterName, 'Named account from the accounts file (host, port, TLS, user, password source)')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'POP3 server, HOST or HOST:PORT (default port 995, or 110 with --tls starttls|none)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'POP3 server, HOST or HOST:PORT (default port 995, or 110 with --tls starttls|none)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Login name')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Login name')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Connection protection: tls (implicit, port 995), starttls (STLS on 110, required), none')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Extra trusted CA certificates (PEM), for a private CA')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'Login mechanism (auto: SASL PLAIN if offered, else USER/PASS, else APOP)')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Read the password from this file (first line)')
            [CompletionResult]::new('--password-command', '--password-command', [CompletionResultType]::ParameterName, 'Run this shell command and use the first line it prints as the password')
            [CompletionResult]::new('--oauth-token-command', '--oauth-token-command', [CompletionResultType]::ParameterName, 'For --auth xoauth2: run this shell command to get the OAuth 2 access token (default: the account''s source, else $MAILKIT_OAUTH_TOKEN)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the connection and for each reply')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Also show From, Subject and Date (one TOP n 0 per message)')
            [CompletionResult]::new('--headers', '--headers', [CompletionResultType]::ParameterName, 'Also show From, Subject and Date (one TOP n 0 per message)')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Accept any TLS certificate (INSECURE: anyone on the path can read your mail)')
            [CompletionResult]::new('--allow-cleartext-password', '--allow-cleartext-password', [CompletionResultType]::ParameterName, 'Allow sending a password or token over a connection without TLS')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one document per result; JSON Lines for streams)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailkit;dele' {
            [CompletionResult]::new('--uidl', '--uidl', [CompletionResultType]::ParameterName, 'Delete the message with this UIDL (repeatable); refused if it is not on the server')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Named account from the accounts file (host, port, TLS, user, password source)')
            [CompletionResult]::new('--account', '--account', [CompletionResultType]::ParameterName, 'Named account from the accounts file (host, port, TLS, user, password source)')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'POP3 server, HOST or HOST:PORT (default port 995, or 110 with --tls starttls|none)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'POP3 server, HOST or HOST:PORT (default port 995, or 110 with --tls starttls|none)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Login name')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Login name')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Connection protection: tls (implicit, port 995), starttls (STLS on 110, required), none')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Extra trusted CA certificates (PEM), for a private CA')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'Login mechanism (auto: SASL PLAIN if offered, else USER/PASS, else APOP)')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Read the password from this file (first line)')
            [CompletionResult]::new('--password-command', '--password-command', [CompletionResultType]::ParameterName, 'Run this shell command and use the first line it prints as the password')
            [CompletionResult]::new('--oauth-token-command', '--oauth-token-command', [CompletionResultType]::ParameterName, 'For --auth xoauth2: run this shell command to get the OAuth 2 access token (default: the account''s source, else $MAILKIT_OAUTH_TOKEN)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the connection and for each reply')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required when stdin is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required when stdin is not a terminal)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Show what would be deleted and change nothing')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would be deleted and change nothing')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Accept any TLS certificate (INSECURE: anyone on the path can read your mail)')
            [CompletionResult]::new('--allow-cleartext-password', '--allow-cleartext-password', [CompletionResultType]::ParameterName, 'Allow sending a password or token over a connection without TLS')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one document per result; JSON Lines for streams)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
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
