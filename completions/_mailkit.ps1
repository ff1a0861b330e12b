
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
            [CompletionResult]::new('fetch', 'fetch', [CompletionResultType]::ParameterValue, 'Download messages over POP3 or IMAP to a Maildir, an mbox or stdout, never losing one')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the messages of a POP3 mailbox or IMAP folders (or the folders) without changing them')
            [CompletionResult]::new('dele', 'dele', [CompletionResultType]::ParameterValue, 'Delete messages from a POP3 mailbox (by UIDL or number) or an IMAP folder (by UID)')
            [CompletionResult]::new('resolve', 'resolve', [CompletionResultType]::ParameterValue, 'Query DNS like dig, and explain where mail for a domain goes')
            [CompletionResult]::new('queue', 'queue', [CompletionResultType]::ParameterValue, 'The outgoing queue: list, deliver (run, flush), show, remove, hold, release, retry')
            [CompletionResult]::new('parse', 'parse', [CompletionResultType]::ParameterValue, 'Inspect raw messages, mbox files and Maildirs: headers, MIME tree, attachments')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run a local mail server to try and test mail with: SMTP in, POP3 and IMAP out, a web view; `--demo` shows alice''s message reaching bob through it')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Write shell completions and man pages (for packagers and the repository)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mailkit;send' {
            [CompletionResult]::new('--mbox', '--mbox', [CompletionResultType]::ParameterName, 'Send every message of an mbox file (one connection per destination for all of them)')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Sender: the From header of a composed message and the envelope sender (MAIL FROM). `addr` or `"Name <addr>"`. For raw messages, only the envelope sender')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Sender: the From header of a composed message and the envelope sender (MAIL FROM). `addr` or `"Name <addr>"`. For raw messages, only the envelope sender')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Recipient (To header when composing); repeatable')
            [CompletionResult]::new('--cc', '--cc', [CompletionResultType]::ParameterName, 'Copy recipient (Cc header when composing); repeatable')
            [CompletionResult]::new('--bcc', '--bcc', [CompletionResultType]::ParameterName, 'Blind copy recipient: in the envelope only, never in a header; repeatable')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Subject of a composed message (non-ASCII is encoded per RFC 2047)')
            [CompletionResult]::new('--subject', '--subject', [CompletionResultType]::ParameterName, 'Subject of a composed message (non-ASCII is encoded per RFC 2047)')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'Body text of a composed message. Without --body or --body-file, the body is read from stdin when stdin is not a terminal')
            [CompletionResult]::new('--body', '--body', [CompletionResultType]::ParameterName, 'Body text of a composed message. Without --body or --body-file, the body is read from stdin when stdin is not a terminal')
            [CompletionResult]::new('--body-file', '--body-file', [CompletionResultType]::ParameterName, 'File holding the body text (`-` for stdin)')
            [CompletionResult]::new('--html-file', '--html-file', [CompletionResultType]::ParameterName, 'HTML file sent as an alternative to the text body')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Extra header of a composed message, `"Name: value"`; repeatable')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'File to attach (MIME type from its name, base64); repeatable')
            [CompletionResult]::new('--attach', '--attach', [CompletionResultType]::ParameterName, 'File to attach (MIME type from its name, base64); repeatable')
            [CompletionResult]::new('-S', '-S ', [CompletionResultType]::ParameterName, 'Relay server, `host[:port]` (port 587 STARTTLS by default, 465 implicit TLS). Without a relay or account, mail goes directly to each recipient domain''s MX hosts')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Relay server, `host[:port]` (port 587 STARTTLS by default, 465 implicit TLS). Without a relay or account, mail goes directly to each recipient domain''s MX hosts')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Account from the accounts file (server, port, TLS, user, password source)')
            [CompletionResult]::new('--account', '--account', [CompletionResultType]::ParameterName, 'Account from the accounts file (server, port, TLS, user, password source)')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port to connect to, overriding the server''s, the account''s or port 25 for MX delivery')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Connection protection: tls (implicit), starttls (required), opportunistic (upgrade when offered, warn otherwise; the default for MX delivery) or none')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Extra trusted CA certificates (PEM), for a private CA')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Login name for AUTH (the password comes from --password-env, --password-file, --password-command, or a prompt; never from the command line)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Login name for AUTH (the password comes from --password-env, --password-file, --password-command, or a prompt; never from the command line)')
            [CompletionResult]::new('--password-env', '--password-env', [CompletionResultType]::ParameterName, 'Environment variable holding the password (or the OAuth token for xoauth2)')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'File holding the password (or the OAuth token), first line')
            [CompletionResult]::new('--password-command', '--password-command', [CompletionResultType]::ParameterName, 'Command printing the password (or the OAuth token) as its first line')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'SASL mechanism (default: PLAIN, else LOGIN, from the server''s offer)')
            [CompletionResult]::new('--dns-server', '--dns-server', [CompletionResultType]::ParameterName, 'DNS server for MX lookups, `IP[:PORT]` (default: the system resolver)')
            [CompletionResult]::new('--ehlo', '--ehlo', [CompletionResultType]::ParameterName, 'Name to give in EHLO (default: this host''s name when fully qualified, else the address literal of the connection, such as [192.0.2.1])')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds each reply (the greeting, every command''s reply) and the TLS handshake may take in all, however slowly their bytes arrive')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for a TCP connection to be accepted before trying the next address or MX (Postfix''s smtp_connect_timeout is 30 s too)')
            [CompletionResult]::new('--notify', '--notify', [CompletionResultType]::ParameterName, 'DSN: when to notify the sender (NEVER, or a comma list of SUCCESS, FAILURE, DELAY)')
            [CompletionResult]::new('--ret', '--ret', [CompletionResultType]::ParameterName, 'DSN: return the full message or only headers in notifications')
            [CompletionResult]::new('--envid', '--envid', [CompletionResultType]::ParameterName, 'DSN: envelope identifier quoted back in notifications')
            [CompletionResult]::new('--queue-dir', '--queue-dir', [CompletionResultType]::ParameterName, 'The queue directory (default: $XDG_STATE_HOME/mailkit/queue, else ~/.local/state/mailkit/queue)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one document per result; JSON Lines for streams)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('--raw', '--raw', [CompletionResultType]::ParameterName, 'Send a raw message read from stdin (same as giving `-`)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Read recipients from the raw message''s To, Cc and Bcc headers (like `sendmail -t`); the Bcc header is removed from what is sent')
            [CompletionResult]::new('--read-recipients', '--read-recipients', [CompletionResultType]::ParameterName, 'Read recipients from the raw message''s To, Cc and Bcc headers (like `sendmail -t`); the Bcc header is removed from what is sent')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'INSECURE: accept any TLS certificate (anyone on the path can read the session)')
            [CompletionResult]::new('--allow-cleartext-auth', '--allow-cleartext-auth', [CompletionResultType]::ParameterName, 'INSECURE: allow a password or token over a connection without TLS')
            [CompletionResult]::new('--queue', '--queue', [CompletionResultType]::ParameterName, 'Do not send now: write the message durably into the queue, print its queue id, exit 0; `mailkit queue run` delivers it')
            [CompletionResult]::new('--queue-on-failure', '--queue-on-failure', [CompletionResultType]::ParameterName, 'Try now; on a temporary failure keep the message (for the recipients still pending) in the queue and exit 0 with a note. A permanent failure still exits 69')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
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
            [CompletionResult]::new('--batch', '--batch', [CompletionResultType]::ParameterName, 'Messages per group commit (one directory fsync and one state write per batch; default 1024)')
            [CompletionResult]::new('--folder', '--folder', [CompletionResultType]::ParameterName, 'IMAP: the folder to fetch from (repeatable; default INBOX)')
            [CompletionResult]::new('--move-to', '--move-to', [CompletionResultType]::ParameterName, 'IMAP: move each message to this folder once it is safely on disk (MOVE, else COPY, \Deleted and UID EXPUNGE)')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Named account from the accounts file (host, port, TLS, user, password source)')
            [CompletionResult]::new('--account', '--account', [CompletionResultType]::ParameterName, 'Named account from the accounts file (host, port, TLS, user, password source)')
            [CompletionResult]::new('-S', '-S ', [CompletionResultType]::ParameterName, 'Server, HOST or HOST:PORT (default port 995 for POP3, 993 for IMAP; 110/143 with --tls starttls|none)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server, HOST or HOST:PORT (default port 995 for POP3, 993 for IMAP; 110/143 with --tls starttls|none)')
            [CompletionResult]::new('--protocol', '--protocol', [CompletionResultType]::ParameterName, 'Protocol (default: the account''s, else the port''s: 143/993 IMAP, 110/995 POP3)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Login name')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Login name')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Connection protection: tls (implicit, port 995/993), starttls (STLS on 110, STARTTLS on 143, required), none')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Extra trusted CA certificates (PEM), for a private CA')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'Login mechanism (auto: SASL PLAIN if offered, else USER/PASS or IMAP LOGIN, else APOP; user means IMAP LOGIN over IMAP)')
            [CompletionResult]::new('--password-env', '--password-env', [CompletionResultType]::ParameterName, 'Environment variable holding the password (or the OAuth token for xoauth2)')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'File holding the password (or the OAuth token), first line')
            [CompletionResult]::new('--password-command', '--password-command', [CompletionResultType]::ParameterName, 'Command printing the password (or the OAuth token) as its first line')
            [CompletionResult]::new('--oauth-token-command', '--oauth-token-command', [CompletionResultType]::ParameterName, 'For --auth xoauth2: run this shell command to get the OAuth 2 access token (default: the account''s source, else $MAILKIT_OAUTH_TOKEN)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds each reply line (and every status reply as a whole, and the TLS handshake) may take, however slowly its bytes arrive')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the TCP connection to be accepted')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one document per result; JSON Lines for streams)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('-N', '-N ', [CompletionResultType]::ParameterName, 'Fetch only messages whose UIDL is not in the state file (seen before with another size counts as new)')
            [CompletionResult]::new('--new', '--new', [CompletionResultType]::ParameterName, 'Fetch only messages whose UIDL is not in the state file (seen before with another size counts as new)')
            [CompletionResult]::new('--stdout', '--stdout', [CompletionResultType]::ParameterName, 'Write one message to stdout, bytes unchanged (CRLF line ends as received)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Delete each message from the server once it is safely on disk')
            [CompletionResult]::new('--delete', '--delete', [CompletionResultType]::ParameterName, 'Delete each message from the server once it is safely on disk')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Pick the messages to fetch and to delete interactively (needs a terminal)')
            [CompletionResult]::new('--interactive', '--interactive', [CompletionResultType]::ParameterName, 'Pick the messages to fetch and to delete interactively (needs a terminal)')
            [CompletionResult]::new('--mark-seen', '--mark-seen', [CompletionResultType]::ParameterName, 'IMAP: flag fetched messages \Seen (by default fetching changes nothing on the server)')
            [CompletionResult]::new('--watch', '--watch', [CompletionResultType]::ParameterName, 'IMAP: stay connected and fetch new messages as they arrive (IDLE, else NOOP polling), until SIGINT or SIGTERM; implies --new')
            [CompletionResult]::new('--allow-plain-expunge', '--allow-plain-expunge', [CompletionResultType]::ParameterName, 'IMAP: on a server without UIDPLUS, delete with a plain EXPUNGE, which also removes messages other clients marked \Deleted (else mailkit moves to the Trash folder or refuses)')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'INSECURE: accept any TLS certificate (anyone on the path can read the session)')
            [CompletionResult]::new('--allow-cleartext-auth', '--allow-cleartext-auth', [CompletionResultType]::ParameterName, 'INSECURE: allow a password or token over a connection without TLS')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailkit;list' {
            [CompletionResult]::new('--folder', '--folder', [CompletionResultType]::ParameterName, 'IMAP: the folder to list (repeatable; default INBOX)')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Named account from the accounts file (host, port, TLS, user, password source)')
            [CompletionResult]::new('--account', '--account', [CompletionResultType]::ParameterName, 'Named account from the accounts file (host, port, TLS, user, password source)')
            [CompletionResult]::new('-S', '-S ', [CompletionResultType]::ParameterName, 'Server, HOST or HOST:PORT (default port 995 for POP3, 993 for IMAP; 110/143 with --tls starttls|none)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server, HOST or HOST:PORT (default port 995 for POP3, 993 for IMAP; 110/143 with --tls starttls|none)')
            [CompletionResult]::new('--protocol', '--protocol', [CompletionResultType]::ParameterName, 'Protocol (default: the account''s, else the port''s: 143/993 IMAP, 110/995 POP3)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Login name')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Login name')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Connection protection: tls (implicit, port 995/993), starttls (STLS on 110, STARTTLS on 143, required), none')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Extra trusted CA certificates (PEM), for a private CA')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'Login mechanism (auto: SASL PLAIN if offered, else USER/PASS or IMAP LOGIN, else APOP; user means IMAP LOGIN over IMAP)')
            [CompletionResult]::new('--password-env', '--password-env', [CompletionResultType]::ParameterName, 'Environment variable holding the password (or the OAuth token for xoauth2)')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'File holding the password (or the OAuth token), first line')
            [CompletionResult]::new('--password-command', '--password-command', [CompletionResultType]::ParameterName, 'Command printing the password (or the OAuth token) as its first line')
            [CompletionResult]::new('--oauth-token-command', '--oauth-token-command', [CompletionResultType]::ParameterName, 'For --auth xoauth2: run this shell command to get the OAuth 2 access token (default: the account''s source, else $MAILKIT_OAUTH_TOKEN)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds each reply line (and every status reply as a whole, and the TLS handshake) may take, however slowly its bytes arrive')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the TCP connection to be accepted')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one document per result; JSON Lines for streams)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Also show From, Subject and Date (one TOP n 0 per message)')
            [CompletionResult]::new('--headers', '--headers', [CompletionResultType]::ParameterName, 'Also show From, Subject and Date (one TOP n 0 per message)')
            [CompletionResult]::new('--folders', '--folders', [CompletionResultType]::ParameterName, 'IMAP: list the folders with their message and unseen counts (STATUS) instead')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'INSECURE: accept any TLS certificate (anyone on the path can read the session)')
            [CompletionResult]::new('--allow-cleartext-auth', '--allow-cleartext-auth', [CompletionResultType]::ParameterName, 'INSECURE: allow a password or token over a connection without TLS')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailkit;dele' {
            [CompletionResult]::new('--uidl', '--uidl', [CompletionResultType]::ParameterName, 'Delete the message with this UIDL (repeatable); refused if it is not on the server')
            [CompletionResult]::new('--uid', '--uid', [CompletionResultType]::ParameterName, 'IMAP: delete the message with this UID in the folder (repeatable); refused if it is not there')
            [CompletionResult]::new('--folder', '--folder', [CompletionResultType]::ParameterName, 'IMAP: the folder (default INBOX)')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Named account from the accounts file (host, port, TLS, user, password source)')
            [CompletionResult]::new('--account', '--account', [CompletionResultType]::ParameterName, 'Named account from the accounts file (host, port, TLS, user, password source)')
            [CompletionResult]::new('-S', '-S ', [CompletionResultType]::ParameterName, 'Server, HOST or HOST:PORT (default port 995 for POP3, 993 for IMAP; 110/143 with --tls starttls|none)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server, HOST or HOST:PORT (default port 995 for POP3, 993 for IMAP; 110/143 with --tls starttls|none)')
            [CompletionResult]::new('--protocol', '--protocol', [CompletionResultType]::ParameterName, 'Protocol (default: the account''s, else the port''s: 143/993 IMAP, 110/995 POP3)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Login name')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Login name')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Connection protection: tls (implicit, port 995/993), starttls (STLS on 110, STARTTLS on 143, required), none')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Extra trusted CA certificates (PEM), for a private CA')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'Login mechanism (auto: SASL PLAIN if offered, else USER/PASS or IMAP LOGIN, else APOP; user means IMAP LOGIN over IMAP)')
            [CompletionResult]::new('--password-env', '--password-env', [CompletionResultType]::ParameterName, 'Environment variable holding the password (or the OAuth token for xoauth2)')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'File holding the password (or the OAuth token), first line')
            [CompletionResult]::new('--password-command', '--password-command', [CompletionResultType]::ParameterName, 'Command printing the password (or the OAuth token) as its first line')
            [CompletionResult]::new('--oauth-token-command', '--oauth-token-command', [CompletionResultType]::ParameterName, 'For --auth xoauth2: run this shell command to get the OAuth 2 access token (default: the account''s source, else $MAILKIT_OAUTH_TOKEN)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds each reply line (and every status reply as a whole, and the TLS handshake) may take, however slowly its bytes arrive')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the TCP connection to be accepted')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one document per result; JSON Lines for streams)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('--allow-plain-expunge', '--allow-plain-expunge', [CompletionResultType]::ParameterName, 'IMAP: on a server without UIDPLUS, use a plain EXPUNGE (it also removes messages other clients marked \Deleted); else mailkit moves to the Trash folder or refuses')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required when stdin is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required when stdin is not a terminal)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Show what would be deleted and change nothing')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would be deleted and change nothing')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'INSECURE: accept any TLS certificate (anyone on the path can read the session)')
            [CompletionResult]::new('--allow-cleartext-auth', '--allow-cleartext-auth', [CompletionResultType]::ParameterName, 'INSECURE: allow a password or token over a connection without TLS')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailkit;resolve' {
            [CompletionResult]::new('-S', '-S ', [CompletionResultType]::ParameterName, 'Server to ask instead of those of /etc/resolv.conf: IP, IP:PORT or [IPv6]:PORT (repeatable: asked in order)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server to ask instead of those of /etc/resolv.conf: IP, IP:PORT or [IPv6]:PORT (repeatable: asked in order)')
            [CompletionResult]::new('-x', '-x', [CompletionResultType]::ParameterName, 'Reverse lookup: the PTR record of this IPv4 or IPv6 address')
            [CompletionResult]::new('--reverse', '--reverse', [CompletionResultType]::ParameterName, 'Reverse lookup: the PTR record of this IPv4 or IPv6 address')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each reply')
            [CompletionResult]::new('--attempts', '--attempts', [CompletionResultType]::ParameterName, 'Times to send each query to a server before giving up on it')
            [CompletionResult]::new('--root-hints', '--root-hints', [CompletionResultType]::ParameterName, 'Root servers for --trace: a root hints file (zone-file format, as named.root), or comma-separated addresses. Default: the real root servers')
            [CompletionResult]::new('--batch', '--batch', [CompletionResultType]::ParameterName, 'Resolve the names in FILE (`-` for stdin), one `NAME [TYPE...]` per line (`#` comments), concurrently; results are printed one per line in input order (JSON Lines with --json). Types on the command line are the default for lines without one')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Queries in flight at once in --batch mode (more than the server''s socket buffer holds only makes it drop queries)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one document per result; JSON Lines for streams)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('--tcp', '--tcp', [CompletionResultType]::ParameterName, 'Query over TCP instead of UDP (UDP answers that come back truncated are retried over TCP anyway)')
            [CompletionResult]::new('--norecurse', '--norecurse', [CompletionResultType]::ParameterName, 'Clear the RD bit: ask the server only for what it holds itself')
            [CompletionResult]::new('--short', '--short', [CompletionResultType]::ParameterName, 'Print only the record data of the answers, one per line')
            [CompletionResult]::new('--trace', '--trace', [CompletionResultType]::ParameterName, 'Resolve iteratively from the root servers, printing each referral with the server asked and its time (RD cleared)')
            [CompletionResult]::new('--check', '--check', [CompletionResultType]::ParameterName, 'Explain mail routing for the domain: MX hosts in the order a sender tries them with their addresses and TTLs, and findings (null MX, implicit MX, MX target that is a CNAME or an IP literal, target without address, lame or unreachable name servers, NXDOMAIN)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailkit;queue' {
            [CompletionResult]::new('--queue-dir', '--queue-dir', [CompletionResultType]::ParameterName, 'The queue directory (default: $XDG_STATE_HOME/mailkit/queue, else ~/.local/state/mailkit/queue)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one document per result; JSON Lines for streams)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List queued messages: id, age, state, attempts, next attempt, sender, and each recipient''s last reply')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Deliver the messages that are due (safe from cron, and alongside another run)')
            [CompletionResult]::new('flush', 'flush', [CompletionResultType]::ParameterValue, 'Deliver every queued message now, ignoring the retry schedule')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one message''s envelope, route and recipients (--raw: the message itself)')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Remove messages from the queue without sending them')
            [CompletionResult]::new('hold', 'hold', [CompletionResultType]::ParameterValue, 'Keep messages in the queue without trying them until released')
            [CompletionResult]::new('release', 'release', [CompletionResultType]::ParameterValue, 'Let held messages be tried again')
            [CompletionResult]::new('retry', 'retry', [CompletionResultType]::ParameterValue, 'Send again, at the next run, to recipients that are uncertain or were given up on (never to those that accepted or refused for good)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mailkit;queue;list' {
            [CompletionResult]::new('--queue-dir', '--queue-dir', [CompletionResultType]::ParameterName, 'The queue directory (default: $XDG_STATE_HOME/mailkit/queue, else ~/.local/state/mailkit/queue)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one document per result; JSON Lines for streams)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailkit;queue;run' {
            [CompletionResult]::new('--retry-first', '--retry-first', [CompletionResultType]::ParameterName, 'Wait after the first failed attempt; it doubles after each further one (300, 5m, 1h)')
            [CompletionResult]::new('--retry-max', '--retry-max', [CompletionResultType]::ParameterName, 'The longest wait between attempts')
            [CompletionResult]::new('--max-lifetime', '--max-lifetime', [CompletionResultType]::ParameterName, 'Give up on a message this long after it was queued, and bounce it')
            [CompletionResult]::new('--delay-warning', '--delay-warning', [CompletionResultType]::ParameterName, 'Tell the sender once (an RFC 3464 "delayed" notification) when a message is still undelivered this long after it was queued; off unless given')
            [CompletionResult]::new('--queue-dir', '--queue-dir', [CompletionResultType]::ParameterName, 'The queue directory (default: $XDG_STATE_HOME/mailkit/queue, else ~/.local/state/mailkit/queue)')
            [CompletionResult]::new('--no-bounce', '--no-bounce', [CompletionResultType]::ParameterName, 'Do not send delivery status notifications (bounces) to the senders of refused mail')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one document per result; JSON Lines for streams)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailkit;queue;flush' {
            [CompletionResult]::new('--retry-first', '--retry-first', [CompletionResultType]::ParameterName, 'Wait after the first failed attempt; it doubles after each further one (300, 5m, 1h)')
            [CompletionResult]::new('--retry-max', '--retry-max', [CompletionResultType]::ParameterName, 'The longest wait between attempts')
            [CompletionResult]::new('--max-lifetime', '--max-lifetime', [CompletionResultType]::ParameterName, 'Give up on a message this long after it was queued, and bounce it')
            [CompletionResult]::new('--delay-warning', '--delay-warning', [CompletionResultType]::ParameterName, 'Tell the sender once (an RFC 3464 "delayed" notification) when a message is still undelivered this long after it was queued; off unless given')
            [CompletionResult]::new('--queue-dir', '--queue-dir', [CompletionResultType]::ParameterName, 'The queue directory (default: $XDG_STATE_HOME/mailkit/queue, else ~/.local/state/mailkit/queue)')
            [CompletionResult]::new('--no-bounce', '--no-bounce', [CompletionResultType]::ParameterName, 'Do not send delivery status notifications (bounces) to the senders of refused mail')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one document per result; JSON Lines for streams)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailkit;queue;show' {
            [CompletionResult]::new('--queue-dir', '--queue-dir', [CompletionResultType]::ParameterName, 'The queue directory (default: $XDG_STATE_HOME/mailkit/queue, else ~/.local/state/mailkit/queue)')
            [CompletionResult]::new('--raw', '--raw', [CompletionResultType]::ParameterName, 'Print the message bytes unchanged instead of the details')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one document per result; JSON Lines for streams)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailkit;queue;rm' {
            [CompletionResult]::new('--queue-dir', '--queue-dir', [CompletionResultType]::ParameterName, 'The queue directory (default: $XDG_STATE_HOME/mailkit/queue, else ~/.local/state/mailkit/queue)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one document per result; JSON Lines for streams)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailkit;queue;hold' {
            [CompletionResult]::new('--queue-dir', '--queue-dir', [CompletionResultType]::ParameterName, 'The queue directory (default: $XDG_STATE_HOME/mailkit/queue, else ~/.local/state/mailkit/queue)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one document per result; JSON Lines for streams)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailkit;queue;release' {
            [CompletionResult]::new('--queue-dir', '--queue-dir', [CompletionResultType]::ParameterName, 'The queue directory (default: $XDG_STATE_HOME/mailkit/queue, else ~/.local/state/mailkit/queue)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one document per result; JSON Lines for streams)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailkit;queue;retry' {
            [CompletionResult]::new('--queue-dir', '--queue-dir', [CompletionResultType]::ParameterName, 'The queue directory (default: $XDG_STATE_HOME/mailkit/queue, else ~/.local/state/mailkit/queue)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one document per result; JSON Lines for streams)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailkit;queue;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List queued messages: id, age, state, attempts, next attempt, sender, and each recipient''s last reply')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Deliver the messages that are due (safe from cron, and alongside another run)')
            [CompletionResult]::new('flush', 'flush', [CompletionResultType]::ParameterValue, 'Deliver every queued message now, ignoring the retry schedule')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one message''s envelope, route and recipients (--raw: the message itself)')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Remove messages from the queue without sending them')
            [CompletionResult]::new('hold', 'hold', [CompletionResultType]::ParameterValue, 'Keep messages in the queue without trying them until released')
            [CompletionResult]::new('release', 'release', [CompletionResultType]::ParameterValue, 'Let held messages be tried again')
            [CompletionResult]::new('retry', 'retry', [CompletionResultType]::ParameterValue, 'Send again, at the next run, to recipients that are uncertain or were given up on (never to those that accepted or refused for good)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mailkit;queue;help;list' {
            break
        }
        'mailkit;queue;help;run' {
            break
        }
        'mailkit;queue;help;flush' {
            break
        }
        'mailkit;queue;help;show' {
            break
        }
        'mailkit;queue;help;rm' {
            break
        }
        'mailkit;queue;help;hold' {
            break
        }
        'mailkit;queue;help;release' {
            break
        }
        'mailkit;queue;help;retry' {
            break
        }
        'mailkit;queue;help;help' {
            break
        }
        'mailkit;parse' {
            [CompletionResult]::new('-M', '-M ', [CompletionResultType]::ParameterName, 'Only the N-th message (1-based) of each mbox or Maildir')
            [CompletionResult]::new('--message', '--message', [CompletionResultType]::ParameterName, 'Only the N-th message (1-based) of each mbox or Maildir')
            [CompletionResult]::new('-g', '-g', [CompletionResultType]::ParameterName, 'Print the decoded value of one header (each occurrence on its own line); exit 1 if absent')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Print the decoded value of one header (each occurrence on its own line); exit 1 if absent')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Write the decoded content of part ID to stdout, bytes unchanged; exit 1 if absent')
            [CompletionResult]::new('--part', '--part', [CompletionResultType]::ParameterName, 'Write the decoded content of part ID to stdout, bytes unchanged; exit 1 if absent')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'Save attachments into DIR under safe names, never overwriting, and print where each went')
            [CompletionResult]::new('--extract', '--extract', [CompletionResultType]::ParameterName, 'Save attachments into DIR under safe names, never overwriting, and print where each went')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one document per result; JSON Lines for streams)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Print every header, decoded (RFC 2047 words, RFC 2231 parameters, charsets), one per line')
            [CompletionResult]::new('--headers', '--headers', [CompletionResultType]::ParameterName, 'Print every header, decoded (RFC 2047 words, RFC 2231 parameters, charsets), one per line')
            [CompletionResult]::new('-T', '-T ', [CompletionResultType]::ParameterName, 'Print the best text body: text/plain, else HTML converted to text')
            [CompletionResult]::new('--text', '--text', [CompletionResultType]::ParameterName, 'Print the best text body: text/plain, else HTML converted to text')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Print the Received chain as a table of hops, oldest first, with the delay between hops')
            [CompletionResult]::new('--received', '--received', [CompletionResultType]::ParameterName, 'Print the Received chain as a table of hops, oldest first, with the delay between hops')
            [CompletionResult]::new('--tree', '--tree', [CompletionResultType]::ParameterName, 'Print only the MIME tree, as the default view shows it (like mblaze''s `mshow -t`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailkit;serve' {
            [CompletionResult]::new('--smtp', '--smtp', [CompletionResultType]::ParameterName, 'SMTP listener, ADDRESS:PORT or `off`')
            [CompletionResult]::new('--pop3', '--pop3', [CompletionResultType]::ParameterName, 'POP3 listener, ADDRESS:PORT or `off`')
            [CompletionResult]::new('--imap', '--imap', [CompletionResultType]::ParameterName, 'IMAP listener, ADDRESS:PORT or `off`')
            [CompletionResult]::new('--http', '--http', [CompletionResultType]::ParameterName, 'HTTP listener (JSON API under /api/ and the web page), ADDRESS:PORT or `off`')
            [CompletionResult]::new('--data', '--data', [CompletionResultType]::ParameterName, 'Data directory: mailboxes (a Maildir per address) and the generated certificate (default: $XDG_STATE_HOME/mailkit/serve)')
            [CompletionResult]::new('--hostname', '--hostname', [CompletionResultType]::ParameterName, 'The server''s name in greetings and Received lines')
            [CompletionResult]::new('--users', '--users', [CompletionResultType]::ParameterName, 'Accounts file, one `address:password` per line: only these log in (POP3, IMAP, SMTP AUTH). Without it any password opens any mailbox, and only loopback addresses are allowed')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'TLS certificate chain (PEM) instead of the generated self-signed one')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'TLS private key (PEM) for --cert')
            [CompletionResult]::new('--max-size', '--max-size', [CompletionResultType]::ParameterName, 'Largest message accepted (SMTP SIZE; suffixes k, M, G)')
            [CompletionResult]::new('--max-connections', '--max-connections', [CompletionResultType]::ParameterName, 'Connections served at once; more get a try-again-later reply')
            [CompletionResult]::new('--faults', '--faults', [CompletionResultType]::ParameterName, 'Fault plan (TOML): per SMTP stage a reply, probability, delay or drop; seed; IMAP UIDVALIDITY bumps. See the README')
            [CompletionResult]::new('--fault', '--fault', [CompletionResultType]::ParameterName, 'A fault, STAGE=CODE[:PROBABILITY] (e.g. rcpt=451, dot=554:0.3), or STAGE=drop; stages: connect, greeting, mail, rcpt, data, dot; repeatable')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'Seed of the fault generator (the same seed gives the same sequence)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print results as JSON (one document per result; JSON Lines for streams)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show the protocol transcript on stderr (secrets redacted)')
            [CompletionResult]::new('--demo', '--demo', [CompletionResultType]::ParameterName, 'Show mailkit''s main job and exit: start a server on loopback (temporary data, free ports), send a message from alice to bob through it with `mailkit send -v`, fetch it back from bob''s mailbox with `mailkit fetch -v` over POP3, print it')
            [CompletionResult]::new('--ephemeral', '--ephemeral', [CompletionResultType]::ParameterName, 'Keep everything in a temporary directory removed at exit')
            [CompletionResult]::new('--accept-any-auth', '--accept-any-auth', [CompletionResultType]::ParameterName, 'Offer SMTP AUTH and accept any credentials')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
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
            [CompletionResult]::new('fetch', 'fetch', [CompletionResultType]::ParameterValue, 'Download messages over POP3 or IMAP to a Maildir, an mbox or stdout, never losing one')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the messages of a POP3 mailbox or IMAP folders (or the folders) without changing them')
            [CompletionResult]::new('dele', 'dele', [CompletionResultType]::ParameterValue, 'Delete messages from a POP3 mailbox (by UIDL or number) or an IMAP folder (by UID)')
            [CompletionResult]::new('resolve', 'resolve', [CompletionResultType]::ParameterValue, 'Query DNS like dig, and explain where mail for a domain goes')
            [CompletionResult]::new('queue', 'queue', [CompletionResultType]::ParameterValue, 'The outgoing queue: list, deliver (run, flush), show, remove, hold, release, retry')
            [CompletionResult]::new('parse', 'parse', [CompletionResultType]::ParameterValue, 'Inspect raw messages, mbox files and Maildirs: headers, MIME tree, attachments')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run a local mail server to try and test mail with: SMTP in, POP3 and IMAP out, a web view; `--demo` shows alice''s message reaching bob through it')
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
        'mailkit;help;queue' {
            break
        }
        'mailkit;help;parse' {
            break
        }
        'mailkit;help;serve' {
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
