# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_mailkit_global_optspecs
    string join \n json v/verbose h/help V/version
end

function __fish_mailkit_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_mailkit_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_mailkit_using_subcommand
    set -l cmd (__fish_mailkit_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c mailkit -n "__fish_mailkit_needs_command" -l json -d 'Print results as JSON (one document per result; JSON Lines for streams)'
complete -c mailkit -n "__fish_mailkit_needs_command" -s v -l verbose -d 'Show the protocol transcript on stderr (secrets redacted)'
complete -c mailkit -n "__fish_mailkit_needs_command" -s h -l help -d 'Print help'
complete -c mailkit -n "__fish_mailkit_needs_command" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_needs_command" -f -a "send" -d 'Send mail over SMTP: compose or pass a raw message, via a relay or direct to the MX'
complete -c mailkit -n "__fish_mailkit_needs_command" -f -a "fetch" -d 'Download messages over POP3 or IMAP to a Maildir, an mbox or stdout, never losing one'
complete -c mailkit -n "__fish_mailkit_needs_command" -f -a "list" -d 'List the messages of a POP3 mailbox or IMAP folders (or the folders) without changing them'
complete -c mailkit -n "__fish_mailkit_needs_command" -f -a "dele" -d 'Delete messages from a POP3 mailbox (by UIDL or number) or an IMAP folder (by UID)'
complete -c mailkit -n "__fish_mailkit_needs_command" -f -a "resolve" -d 'Query DNS like dig, and explain where mail for a domain goes'
complete -c mailkit -n "__fish_mailkit_needs_command" -f -a "queue" -d 'The outgoing queue: list, deliver (run, flush), show, remove, hold, release, retry'
complete -c mailkit -n "__fish_mailkit_needs_command" -f -a "parse" -d 'Inspect raw messages, mbox files and Maildirs: headers, MIME tree, attachments'
complete -c mailkit -n "__fish_mailkit_needs_command" -f -a "serve" -d 'Run a local mail server to try and test mail with: SMTP in, POP3 and IMAP out, a web view; `--demo` shows alice\'s message reaching bob through it'
complete -c mailkit -n "__fish_mailkit_needs_command" -f -a "generate" -d 'Write shell completions and man pages (for packagers and the repository)'
complete -c mailkit -n "__fish_mailkit_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l mbox -d 'Send every message of an mbox file (one connection per destination for all of them)' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -s f -l from -d 'Sender: the From header of a composed message and the envelope sender (MAIL FROM). `addr` or `"Name <addr>"`. For raw messages, only the envelope sender' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l to -d 'Recipient (To header when composing); repeatable' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l cc -d 'Copy recipient (Cc header when composing); repeatable' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l bcc -d 'Blind copy recipient: in the envelope only, never in a header; repeatable' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -s s -l subject -d 'Subject of a composed message (non-ASCII is encoded per RFC 2047)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -s b -l body -d 'Body text of a composed message. Without --body or --body-file, the body is read from stdin when stdin is not a terminal' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l body-file -d 'File holding the body text (`-` for stdin)' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l html-file -d 'HTML file sent as an alternative to the text body' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l header -d 'Extra header of a composed message, `"Name: value"`; repeatable' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -s a -l attach -d 'File to attach (MIME type from its name, base64); repeatable' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -s S -l server -d 'Relay server, `host[:port]` (port 587 STARTTLS by default, 465 implicit TLS). Without a relay or account, mail goes directly to each recipient domain\'s MX hosts' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -s A -l account -d 'Account from the accounts file (server, port, TLS, user, password source)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l port -d 'Port to connect to, overriding the server\'s, the account\'s or port 25 for MX delivery' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l tls -d 'Connection protection: tls (implicit), starttls (required), opportunistic (upgrade when offered, warn otherwise; the default for MX delivery) or none' -r -f -a "tls\t'TLS from the first byte (SMTPS 465, POP3S 995)'
starttls\t'Upgrade with STARTTLS/STLS, and fail if the server does not offer it'
opportunistic\t'Upgrade when offered, carry on in cleartext with a warning otherwise (port-25 delivery)'
none\t'Never encrypt'"
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l ca-file -d 'Extra trusted CA certificates (PEM), for a private CA' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -s u -l user -d 'Login name for AUTH (the password comes from --password-env, --password-file, --password-command, or a prompt; never from the command line)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l password-env -d 'Environment variable holding the password (or the OAuth token for xoauth2)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l password-file -d 'File holding the password (or the OAuth token), first line' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l password-command -d 'Command printing the password (or the OAuth token) as its first line' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l auth -d 'SASL mechanism (default: PLAIN, else LOGIN, from the server\'s offer)' -r -f -a "plain\t'RFC 4616: user and password in one base64 line'
login\t'The widespread non-standard username/password challenge pair'
xoauth2\t'Google\'s and Microsoft\'s OAuth 2 bearer token mechanism'"
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l dns-server -d 'DNS server for MX lookups, `IP[:PORT]` (default: the system resolver)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l ehlo -d 'Name to give in EHLO (default: this host\'s name when fully qualified, else the address literal of the connection, such as [192.0.2.1])' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l timeout -d 'Seconds each reply (the greeting, every command\'s reply) and the TLS handshake may take in all, however slowly their bytes arrive' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l connect-timeout -d 'Seconds to wait for a TCP connection to be accepted before trying the next address or MX (Postfix\'s smtp_connect_timeout is 30 s too)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l notify -d 'DSN: when to notify the sender (NEVER, or a comma list of SUCCESS, FAILURE, DELAY)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l ret -d 'DSN: return the full message or only headers in notifications' -r -f -a "full\t'The whole message'
hdrs\t'Its headers only'"
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l envid -d 'DSN: envelope identifier quoted back in notifications' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l queue-dir -d 'The queue directory (default: $XDG_STATE_HOME/mailkit/queue, else ~/.local/state/mailkit/queue)' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l json -d 'Print results as JSON (one document per result; JSON Lines for streams)'
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -s v -l verbose -d 'Show the protocol transcript on stderr (secrets redacted)'
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l raw -d 'Send a raw message read from stdin (same as giving `-`)'
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -s t -l read-recipients -d 'Read recipients from the raw message\'s To, Cc and Bcc headers (like `sendmail -t`); the Bcc header is removed from what is sent'
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l insecure-skip-tls-verify -d 'INSECURE: accept any TLS certificate (anyone on the path can read the session)'
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l allow-cleartext-auth -d 'INSECURE: allow a password or token over a connection without TLS'
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l queue -d 'Do not send now: write the message durably into the queue, print its queue id, exit 0; `mailkit queue run` delivers it'
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l queue-on-failure -d 'Try now; on a temporary failure keep the message (for the recipients still pending) in the queue and exit 0 with a note. A permanent failure still exits 69'
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l uidl -d 'Fetch the message with this UIDL (repeatable)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -s m -l maildir -d 'Deliver into this Maildir (created if missing)' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l mbox -d 'Append to this mbox file (mboxrd quoting, locked while writing)' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l max-size -d 'Skip messages larger than this many bytes (suffixes k, M, G)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l state-file -d 'The seen-UIDL state file (default: $XDG_STATE_HOME/mailkit/uidl/[account+]user@host:port)' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l batch -d 'Messages per group commit (one directory fsync and one state write per batch; default 1024)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l folder -d 'IMAP: the folder to fetch from (repeatable; default INBOX)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l move-to -d 'IMAP: move each message to this folder once it is safely on disk (MOVE, else COPY, \\Deleted and UID EXPUNGE)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -s A -l account -d 'Named account from the accounts file (host, port, TLS, user, password source)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -s S -l server -d 'Server, HOST or HOST:PORT (default port 995 for POP3, 993 for IMAP; 110/143 with --tls starttls|none)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l protocol -d 'Protocol (default: the account\'s, else the port\'s: 143/993 IMAP, 110/995 POP3)' -r -f -a "imap\t'IMAP (ports 993, 143): messages stay in folders on the server'
pop3\t'POP3 (ports 995, 110)'"
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -s u -l user -d 'Login name' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l tls -d 'Connection protection: tls (implicit, port 995/993), starttls (STLS on 110, STARTTLS on 143, required), none' -r -f -a "tls\t'TLS from the first byte (POP3S, port 995)'
starttls\t'Upgrade with STLS, and fail if the server does not offer it (port 110)'
none\t'Never encrypt'"
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l ca-file -d 'Extra trusted CA certificates (PEM), for a private CA' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l auth -d 'Login mechanism (auto: SASL PLAIN if offered, else USER/PASS or IMAP LOGIN, else APOP; user means IMAP LOGIN over IMAP)' -r -f -a "auto\t'SASL PLAIN if offered, else USER/PASS, else APOP'
user\t'USER and PASS (RFC 1939 §7)'
apop\t'APOP digest of the greeting\'s timestamp and the password (RFC 1939 §7)'
plain\t'SASL PLAIN (RFC 5034, RFC 4616)'
xoauth2\t'SASL XOAUTH2 with an OAuth 2 bearer token (the two-step form Microsoft requires)'"
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l password-env -d 'Environment variable holding the password (or the OAuth token for xoauth2)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l password-file -d 'File holding the password (or the OAuth token), first line' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l password-command -d 'Command printing the password (or the OAuth token) as its first line' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l oauth-token-command -d 'For --auth xoauth2: run this shell command to get the OAuth 2 access token (default: the account\'s source, else $MAILKIT_OAUTH_TOKEN)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l timeout -d 'Seconds each reply line (and every status reply as a whole, and the TLS handshake) may take, however slowly its bytes arrive' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l connect-timeout -d 'Seconds to wait for the TCP connection to be accepted' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l json -d 'Print results as JSON (one document per result; JSON Lines for streams)'
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -s v -l verbose -d 'Show the protocol transcript on stderr (secrets redacted)'
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -s N -l new -d 'Fetch only messages whose UIDL is not in the state file (seen before with another size counts as new)'
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l stdout -d 'Write one message to stdout, bytes unchanged (CRLF line ends as received)'
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -s d -l delete -d 'Delete each message from the server once it is safely on disk'
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -s i -l interactive -d 'Pick the messages to fetch and to delete interactively (needs a terminal)'
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l mark-seen -d 'IMAP: flag fetched messages \\Seen (by default fetching changes nothing on the server)'
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l watch -d 'IMAP: stay connected and fetch new messages as they arrive (IDLE, else NOOP polling), until SIGINT or SIGTERM; implies --new'
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l allow-plain-expunge -d 'IMAP: on a server without UIDPLUS, delete with a plain EXPUNGE, which also removes messages other clients marked \\Deleted (else mailkit moves to the Trash folder or refuses)'
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l insecure-skip-tls-verify -d 'INSECURE: accept any TLS certificate (anyone on the path can read the session)'
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l allow-cleartext-auth -d 'INSECURE: allow a password or token over a connection without TLS'
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -l folder -d 'IMAP: the folder to list (repeatable; default INBOX)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -s A -l account -d 'Named account from the accounts file (host, port, TLS, user, password source)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -s S -l server -d 'Server, HOST or HOST:PORT (default port 995 for POP3, 993 for IMAP; 110/143 with --tls starttls|none)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -l protocol -d 'Protocol (default: the account\'s, else the port\'s: 143/993 IMAP, 110/995 POP3)' -r -f -a "imap\t'IMAP (ports 993, 143): messages stay in folders on the server'
pop3\t'POP3 (ports 995, 110)'"
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -s u -l user -d 'Login name' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -l tls -d 'Connection protection: tls (implicit, port 995/993), starttls (STLS on 110, STARTTLS on 143, required), none' -r -f -a "tls\t'TLS from the first byte (POP3S, port 995)'
starttls\t'Upgrade with STLS, and fail if the server does not offer it (port 110)'
none\t'Never encrypt'"
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -l ca-file -d 'Extra trusted CA certificates (PEM), for a private CA' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -l auth -d 'Login mechanism (auto: SASL PLAIN if offered, else USER/PASS or IMAP LOGIN, else APOP; user means IMAP LOGIN over IMAP)' -r -f -a "auto\t'SASL PLAIN if offered, else USER/PASS, else APOP'
user\t'USER and PASS (RFC 1939 §7)'
apop\t'APOP digest of the greeting\'s timestamp and the password (RFC 1939 §7)'
plain\t'SASL PLAIN (RFC 5034, RFC 4616)'
xoauth2\t'SASL XOAUTH2 with an OAuth 2 bearer token (the two-step form Microsoft requires)'"
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -l password-env -d 'Environment variable holding the password (or the OAuth token for xoauth2)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -l password-file -d 'File holding the password (or the OAuth token), first line' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -l password-command -d 'Command printing the password (or the OAuth token) as its first line' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -l oauth-token-command -d 'For --auth xoauth2: run this shell command to get the OAuth 2 access token (default: the account\'s source, else $MAILKIT_OAUTH_TOKEN)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -l timeout -d 'Seconds each reply line (and every status reply as a whole, and the TLS handshake) may take, however slowly its bytes arrive' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -l connect-timeout -d 'Seconds to wait for the TCP connection to be accepted' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -l json -d 'Print results as JSON (one document per result; JSON Lines for streams)'
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -s v -l verbose -d 'Show the protocol transcript on stderr (secrets redacted)'
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -s H -l headers -d 'Also show From, Subject and Date (one TOP n 0 per message)'
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -l folders -d 'IMAP: list the folders with their message and unseen counts (STATUS) instead'
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -l insecure-skip-tls-verify -d 'INSECURE: accept any TLS certificate (anyone on the path can read the session)'
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -l allow-cleartext-auth -d 'INSECURE: allow a password or token over a connection without TLS'
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -l uidl -d 'Delete the message with this UIDL (repeatable); refused if it is not on the server' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -l uid -d 'IMAP: delete the message with this UID in the folder (repeatable); refused if it is not there' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -l folder -d 'IMAP: the folder (default INBOX)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -s A -l account -d 'Named account from the accounts file (host, port, TLS, user, password source)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -s S -l server -d 'Server, HOST or HOST:PORT (default port 995 for POP3, 993 for IMAP; 110/143 with --tls starttls|none)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -l protocol -d 'Protocol (default: the account\'s, else the port\'s: 143/993 IMAP, 110/995 POP3)' -r -f -a "imap\t'IMAP (ports 993, 143): messages stay in folders on the server'
pop3\t'POP3 (ports 995, 110)'"
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -s u -l user -d 'Login name' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -l tls -d 'Connection protection: tls (implicit, port 995/993), starttls (STLS on 110, STARTTLS on 143, required), none' -r -f -a "tls\t'TLS from the first byte (POP3S, port 995)'
starttls\t'Upgrade with STLS, and fail if the server does not offer it (port 110)'
none\t'Never encrypt'"
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -l ca-file -d 'Extra trusted CA certificates (PEM), for a private CA' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -l auth -d 'Login mechanism (auto: SASL PLAIN if offered, else USER/PASS or IMAP LOGIN, else APOP; user means IMAP LOGIN over IMAP)' -r -f -a "auto\t'SASL PLAIN if offered, else USER/PASS, else APOP'
user\t'USER and PASS (RFC 1939 §7)'
apop\t'APOP digest of the greeting\'s timestamp and the password (RFC 1939 §7)'
plain\t'SASL PLAIN (RFC 5034, RFC 4616)'
xoauth2\t'SASL XOAUTH2 with an OAuth 2 bearer token (the two-step form Microsoft requires)'"
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -l password-env -d 'Environment variable holding the password (or the OAuth token for xoauth2)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -l password-file -d 'File holding the password (or the OAuth token), first line' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -l password-command -d 'Command printing the password (or the OAuth token) as its first line' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -l oauth-token-command -d 'For --auth xoauth2: run this shell command to get the OAuth 2 access token (default: the account\'s source, else $MAILKIT_OAUTH_TOKEN)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -l timeout -d 'Seconds each reply line (and every status reply as a whole, and the TLS handshake) may take, however slowly its bytes arrive' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -l connect-timeout -d 'Seconds to wait for the TCP connection to be accepted' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -l json -d 'Print results as JSON (one document per result; JSON Lines for streams)'
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -s v -l verbose -d 'Show the protocol transcript on stderr (secrets redacted)'
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -l allow-plain-expunge -d 'IMAP: on a server without UIDPLUS, use a plain EXPUNGE (it also removes messages other clients marked \\Deleted); else mailkit moves to the Trash folder or refuses'
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -s y -l yes -d 'Do not ask for confirmation (required when stdin is not a terminal)'
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -s n -l dry-run -d 'Show what would be deleted and change nothing'
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -l insecure-skip-tls-verify -d 'INSECURE: accept any TLS certificate (anyone on the path can read the session)'
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -l allow-cleartext-auth -d 'INSECURE: allow a password or token over a connection without TLS'
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand resolve" -s S -l server -d 'Server to ask instead of those of /etc/resolv.conf: IP, IP:PORT or [IPv6]:PORT (repeatable: asked in order)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand resolve" -s x -l reverse -d 'Reverse lookup: the PTR record of this IPv4 or IPv6 address' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand resolve" -l timeout -d 'Seconds to wait for each reply' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand resolve" -l attempts -d 'Times to send each query to a server before giving up on it' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand resolve" -l root-hints -d 'Root servers for --trace: a root hints file (zone-file format, as named.root), or comma-separated addresses. Default: the real root servers' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand resolve" -l batch -d 'Resolve the names in FILE (`-` for stdin), one `NAME [TYPE...]` per line (`#` comments), concurrently; results are printed one per line in input order (JSON Lines with --json). Types on the command line are the default for lines without one' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand resolve" -l concurrency -d 'Queries in flight at once in --batch mode (more than the server\'s socket buffer holds only makes it drop queries)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand resolve" -l json -d 'Print results as JSON (one document per result; JSON Lines for streams)'
complete -c mailkit -n "__fish_mailkit_using_subcommand resolve" -s v -l verbose -d 'Show the protocol transcript on stderr (secrets redacted)'
complete -c mailkit -n "__fish_mailkit_using_subcommand resolve" -l tcp -d 'Query over TCP instead of UDP (UDP answers that come back truncated are retried over TCP anyway)'
complete -c mailkit -n "__fish_mailkit_using_subcommand resolve" -l norecurse -d 'Clear the RD bit: ask the server only for what it holds itself'
complete -c mailkit -n "__fish_mailkit_using_subcommand resolve" -l short -d 'Print only the record data of the answers, one per line'
complete -c mailkit -n "__fish_mailkit_using_subcommand resolve" -l trace -d 'Resolve iteratively from the root servers, printing each referral with the server asked and its time (RD cleared)'
complete -c mailkit -n "__fish_mailkit_using_subcommand resolve" -l check -d 'Explain mail routing for the domain: MX hosts in the order a sender tries them with their addresses and TTLs, and findings (null MX, implicit MX, MX target that is a CNAME or an IP literal, target without address, lame or unreachable name servers, NXDOMAIN)'
complete -c mailkit -n "__fish_mailkit_using_subcommand resolve" -s h -l help -d 'Print help'
complete -c mailkit -n "__fish_mailkit_using_subcommand resolve" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and not __fish_seen_subcommand_from list run flush show rm hold release retry help" -l queue-dir -d 'The queue directory (default: $XDG_STATE_HOME/mailkit/queue, else ~/.local/state/mailkit/queue)' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and not __fish_seen_subcommand_from list run flush show rm hold release retry help" -l json -d 'Print results as JSON (one document per result; JSON Lines for streams)'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and not __fish_seen_subcommand_from list run flush show rm hold release retry help" -s v -l verbose -d 'Show the protocol transcript on stderr (secrets redacted)'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and not __fish_seen_subcommand_from list run flush show rm hold release retry help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and not __fish_seen_subcommand_from list run flush show rm hold release retry help" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and not __fish_seen_subcommand_from list run flush show rm hold release retry help" -f -a "list" -d 'List queued messages: id, age, state, attempts, next attempt, sender, and each recipient\'s last reply'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and not __fish_seen_subcommand_from list run flush show rm hold release retry help" -f -a "run" -d 'Deliver the messages that are due (safe from cron, and alongside another run)'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and not __fish_seen_subcommand_from list run flush show rm hold release retry help" -f -a "flush" -d 'Deliver every queued message now, ignoring the retry schedule'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and not __fish_seen_subcommand_from list run flush show rm hold release retry help" -f -a "show" -d 'Show one message\'s envelope, route and recipients (--raw: the message itself)'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and not __fish_seen_subcommand_from list run flush show rm hold release retry help" -f -a "rm" -d 'Remove messages from the queue without sending them'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and not __fish_seen_subcommand_from list run flush show rm hold release retry help" -f -a "hold" -d 'Keep messages in the queue without trying them until released'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and not __fish_seen_subcommand_from list run flush show rm hold release retry help" -f -a "release" -d 'Let held messages be tried again'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and not __fish_seen_subcommand_from list run flush show rm hold release retry help" -f -a "retry" -d 'Send again, at the next run, to recipients that are uncertain or were given up on (never to those that accepted or refused for good)'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and not __fish_seen_subcommand_from list run flush show rm hold release retry help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from list" -l queue-dir -d 'The queue directory (default: $XDG_STATE_HOME/mailkit/queue, else ~/.local/state/mailkit/queue)' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from list" -l json -d 'Print results as JSON (one document per result; JSON Lines for streams)'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Show the protocol transcript on stderr (secrets redacted)'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from run" -l retry-first -d 'Wait after the first failed attempt; it doubles after each further one (300, 5m, 1h)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from run" -l retry-max -d 'The longest wait between attempts' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from run" -l max-lifetime -d 'Give up on a message this long after it was queued, and bounce it' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from run" -l delay-warning -d 'Tell the sender once (an RFC 3464 "delayed" notification) when a message is still undelivered this long after it was queued; off unless given' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from run" -l queue-dir -d 'The queue directory (default: $XDG_STATE_HOME/mailkit/queue, else ~/.local/state/mailkit/queue)' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from run" -l no-bounce -d 'Do not send delivery status notifications (bounces) to the senders of refused mail'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from run" -l json -d 'Print results as JSON (one document per result; JSON Lines for streams)'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from run" -s v -l verbose -d 'Show the protocol transcript on stderr (secrets redacted)'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from run" -s h -l help -d 'Print help'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from run" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from flush" -l retry-first -d 'Wait after the first failed attempt; it doubles after each further one (300, 5m, 1h)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from flush" -l retry-max -d 'The longest wait between attempts' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from flush" -l max-lifetime -d 'Give up on a message this long after it was queued, and bounce it' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from flush" -l delay-warning -d 'Tell the sender once (an RFC 3464 "delayed" notification) when a message is still undelivered this long after it was queued; off unless given' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from flush" -l queue-dir -d 'The queue directory (default: $XDG_STATE_HOME/mailkit/queue, else ~/.local/state/mailkit/queue)' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from flush" -l no-bounce -d 'Do not send delivery status notifications (bounces) to the senders of refused mail'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from flush" -l json -d 'Print results as JSON (one document per result; JSON Lines for streams)'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from flush" -s v -l verbose -d 'Show the protocol transcript on stderr (secrets redacted)'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from flush" -s h -l help -d 'Print help'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from flush" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from show" -l queue-dir -d 'The queue directory (default: $XDG_STATE_HOME/mailkit/queue, else ~/.local/state/mailkit/queue)' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from show" -l raw -d 'Print the message bytes unchanged instead of the details'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from show" -l json -d 'Print results as JSON (one document per result; JSON Lines for streams)'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Show the protocol transcript on stderr (secrets redacted)'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from rm" -l queue-dir -d 'The queue directory (default: $XDG_STATE_HOME/mailkit/queue, else ~/.local/state/mailkit/queue)' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from rm" -l json -d 'Print results as JSON (one document per result; JSON Lines for streams)'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from rm" -s v -l verbose -d 'Show the protocol transcript on stderr (secrets redacted)'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from rm" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from hold" -l queue-dir -d 'The queue directory (default: $XDG_STATE_HOME/mailkit/queue, else ~/.local/state/mailkit/queue)' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from hold" -l json -d 'Print results as JSON (one document per result; JSON Lines for streams)'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from hold" -s v -l verbose -d 'Show the protocol transcript on stderr (secrets redacted)'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from hold" -s h -l help -d 'Print help'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from hold" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from release" -l queue-dir -d 'The queue directory (default: $XDG_STATE_HOME/mailkit/queue, else ~/.local/state/mailkit/queue)' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from release" -l json -d 'Print results as JSON (one document per result; JSON Lines for streams)'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from release" -s v -l verbose -d 'Show the protocol transcript on stderr (secrets redacted)'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from release" -s h -l help -d 'Print help'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from release" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from retry" -l queue-dir -d 'The queue directory (default: $XDG_STATE_HOME/mailkit/queue, else ~/.local/state/mailkit/queue)' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from retry" -l json -d 'Print results as JSON (one document per result; JSON Lines for streams)'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from retry" -s v -l verbose -d 'Show the protocol transcript on stderr (secrets redacted)'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from retry" -s h -l help -d 'Print help'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from retry" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from help" -f -a "list" -d 'List queued messages: id, age, state, attempts, next attempt, sender, and each recipient\'s last reply'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from help" -f -a "run" -d 'Deliver the messages that are due (safe from cron, and alongside another run)'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from help" -f -a "flush" -d 'Deliver every queued message now, ignoring the retry schedule'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one message\'s envelope, route and recipients (--raw: the message itself)'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from help" -f -a "rm" -d 'Remove messages from the queue without sending them'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from help" -f -a "hold" -d 'Keep messages in the queue without trying them until released'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from help" -f -a "release" -d 'Let held messages be tried again'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from help" -f -a "retry" -d 'Send again, at the next run, to recipients that are uncertain or were given up on (never to those that accepted or refused for good)'
complete -c mailkit -n "__fish_mailkit_using_subcommand queue; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailkit -n "__fish_mailkit_using_subcommand parse" -s M -l message -d 'Only the N-th message (1-based) of each mbox or Maildir' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand parse" -s g -l header -d 'Print the decoded value of one header (each occurrence on its own line); exit 1 if absent' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand parse" -s p -l part -d 'Write the decoded content of part ID to stdout, bytes unchanged; exit 1 if absent' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand parse" -s X -l extract -d 'Save attachments into DIR under safe names, never overwriting, and print where each went' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand parse" -l json -d 'Print results as JSON (one document per result; JSON Lines for streams)'
complete -c mailkit -n "__fish_mailkit_using_subcommand parse" -s v -l verbose -d 'Show the protocol transcript on stderr (secrets redacted)'
complete -c mailkit -n "__fish_mailkit_using_subcommand parse" -s H -l headers -d 'Print every header, decoded (RFC 2047 words, RFC 2231 parameters, charsets), one per line'
complete -c mailkit -n "__fish_mailkit_using_subcommand parse" -s T -l text -d 'Print the best text body: text/plain, else HTML converted to text'
complete -c mailkit -n "__fish_mailkit_using_subcommand parse" -s r -l received -d 'Print the Received chain as a table of hops, oldest first, with the delay between hops'
complete -c mailkit -n "__fish_mailkit_using_subcommand parse" -l tree -d 'Print only the MIME tree, as the default view shows it (like mblaze\'s `mshow -t`)'
complete -c mailkit -n "__fish_mailkit_using_subcommand parse" -s h -l help -d 'Print help'
complete -c mailkit -n "__fish_mailkit_using_subcommand parse" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l smtp -d 'SMTP listener, ADDRESS:PORT or `off`' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l pop3 -d 'POP3 listener, ADDRESS:PORT or `off`' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l imap -d 'IMAP listener, ADDRESS:PORT or `off`' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l http -d 'HTTP listener (JSON API under /api/ and the web page), ADDRESS:PORT or `off`' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l data -d 'Data directory: mailboxes (a Maildir per address) and the generated certificate (default: $XDG_STATE_HOME/mailkit/serve)' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l hostname -d 'The server\'s name in greetings and Received lines' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l users -d 'Accounts file, one `address:password` per line: only these log in (POP3, IMAP, SMTP AUTH). Without it any password opens any mailbox, and only loopback addresses are allowed' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l cert -d 'TLS certificate chain (PEM) instead of the generated self-signed one' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l key -d 'TLS private key (PEM) for --cert' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l max-size -d 'Largest message accepted (SMTP SIZE; suffixes k, M, G)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l max-connections -d 'Connections served at once; more get a try-again-later reply' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l faults -d 'Fault plan (TOML): per SMTP stage a reply, probability, delay or drop; seed; IMAP UIDVALIDITY bumps. See the README' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l fault -d 'A fault, STAGE=CODE[:PROBABILITY] (e.g. rcpt=451, dot=554:0.3), or STAGE=drop; stages: connect, greeting, mail, rcpt, data, dot; repeatable' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l seed -d 'Seed of the fault generator (the same seed gives the same sequence)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l json -d 'Print results as JSON (one document per result; JSON Lines for streams)'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -s v -l verbose -d 'Show the protocol transcript on stderr (secrets redacted)'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l demo -d 'Show mailkit\'s main job and exit: start a server on loopback (temporary data, free ports), send a message from alice to bob through it with `mailkit send -v`, fetch it back from bob\'s mailbox with `mailkit fetch -v` over POP3, print it'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l ephemeral -d 'Keep everything in a temporary directory removed at exit'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -l accept-any-auth -d 'Offer SMTP AUTH and accept any credentials'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mailkit -n "__fish_mailkit_using_subcommand serve" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand generate" -l out-dir -d 'Directory that receives `completions/` and `man/`' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand generate" -l json -d 'Print results as JSON (one document per result; JSON Lines for streams)'
complete -c mailkit -n "__fish_mailkit_using_subcommand generate" -s v -l verbose -d 'Show the protocol transcript on stderr (secrets redacted)'
complete -c mailkit -n "__fish_mailkit_using_subcommand generate" -s h -l help -d 'Print help'
complete -c mailkit -n "__fish_mailkit_using_subcommand generate" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand help; and not __fish_seen_subcommand_from send fetch list dele resolve queue parse serve generate help" -f -a "send" -d 'Send mail over SMTP: compose or pass a raw message, via a relay or direct to the MX'
complete -c mailkit -n "__fish_mailkit_using_subcommand help; and not __fish_seen_subcommand_from send fetch list dele resolve queue parse serve generate help" -f -a "fetch" -d 'Download messages over POP3 or IMAP to a Maildir, an mbox or stdout, never losing one'
complete -c mailkit -n "__fish_mailkit_using_subcommand help; and not __fish_seen_subcommand_from send fetch list dele resolve queue parse serve generate help" -f -a "list" -d 'List the messages of a POP3 mailbox or IMAP folders (or the folders) without changing them'
complete -c mailkit -n "__fish_mailkit_using_subcommand help; and not __fish_seen_subcommand_from send fetch list dele resolve queue parse serve generate help" -f -a "dele" -d 'Delete messages from a POP3 mailbox (by UIDL or number) or an IMAP folder (by UID)'
complete -c mailkit -n "__fish_mailkit_using_subcommand help; and not __fish_seen_subcommand_from send fetch list dele resolve queue parse serve generate help" -f -a "resolve" -d 'Query DNS like dig, and explain where mail for a domain goes'
complete -c mailkit -n "__fish_mailkit_using_subcommand help; and not __fish_seen_subcommand_from send fetch list dele resolve queue parse serve generate help" -f -a "queue" -d 'The outgoing queue: list, deliver (run, flush), show, remove, hold, release, retry'
complete -c mailkit -n "__fish_mailkit_using_subcommand help; and not __fish_seen_subcommand_from send fetch list dele resolve queue parse serve generate help" -f -a "parse" -d 'Inspect raw messages, mbox files and Maildirs: headers, MIME tree, attachments'
complete -c mailkit -n "__fish_mailkit_using_subcommand help; and not __fish_seen_subcommand_from send fetch list dele resolve queue parse serve generate help" -f -a "serve" -d 'Run a local mail server to try and test mail with: SMTP in, POP3 and IMAP out, a web view; `--demo` shows alice\'s message reaching bob through it'
complete -c mailkit -n "__fish_mailkit_using_subcommand help; and not __fish_seen_subcommand_from send fetch list dele resolve queue parse serve generate help" -f -a "generate" -d 'Write shell completions and man pages (for packagers and the repository)'
complete -c mailkit -n "__fish_mailkit_using_subcommand help; and not __fish_seen_subcommand_from send fetch list dele resolve queue parse serve generate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
