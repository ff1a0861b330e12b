
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
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Server to ask instead of those of /etc/resolv.conf: IP, IP:PORT or [IPv6]:PORT (repeatable: asked in order)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server to ask instead of those of /etc/resolv.conf: IP, IP:PORT or [IPv6]:PORT (repeatable: asked in order)')
            [CompletionResult]::new('-x', '-x', [CompletionResultType]::ParameterName, 'Reverse lookup: the PTR record of this IPv4 or IPv6 address')
            [CompletionResult]::new('--reverse', '--reverse', [CompletionResultType]::ParameterName, 'Reverse lookup: the PTR record of this IPv4 or IPv6 address')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each reply')
            [CompletionResult]::new('--attempts', '--attempts', [CompletionResultType]::ParameterName, 'Times to send each query to a server before giving up on it')
            [CompletionResult]::new('--root-hints', '--root-hints', [CompletionResultType]::ParameterName, 'Root servers for --trace: a root hints file (zone-file format, as named.root), or comma-separated addresses. Default: the real root servers')
            [CompletionResult]::new('--batch', '--batch', [CompletionResultType]::ParameterName, 'Resolve the names in FILE (`-` for stdin), one `NAME [TYPE...]` per line (`#` comments), concurrently; results are printed one per line in input order (JSON Lines with --json). Types on the command line are the default for lines without one')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Queries in flight at once in --batch mode (more than the server''s socket buffer holds only makes it drop queries)')
            [CompletionResult]::new('--tcp', '--tcp', [CompletionResultType]::ParameterName, 'Query over TCP instead of UDP (UDP answers that come back truncated are retried over TCP anyway)')
            [CompletionResult]::new('--norecurse', '--norecurse', [CompletionResultType]::ParameterName, 'Clear the RD bit: ask the server only for what it holds itself')
            [CompletionResult]::new('--short', '--short', [CompletionResultType]::ParameterName, 'Print only the record data of the answers, one per line')
            [CompletionResult]::new('--trace', '--trace', [CompletionResultType]::ParameterName, 'Resolve iteratively from the root servers, printing each referral with the server asked and its time (RD cleared)')
            [CompletionResult]::new('--check', '--check', [CompletionResultType]::ParameterName, 'Explain mail routing for the domain: MX hosts in the order a sender tries them with their addresses and TTLs, and findings (null MX, implicit MX, MX target that is a CNAME or an IP literal, target without address, lame or unreachable name servers, NXDOMAIN)')
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
