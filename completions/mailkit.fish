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
complete -c mailkit -n "__fish_mailkit_needs_command" -f -a "fetch" -d 'Download messages over POP3 to a Maildir, an mbox or stdout, never losing one'
complete -c mailkit -n "__fish_mailkit_needs_command" -f -a "list" -d 'List the messages in a POP3 mailbox without changing it'
complete -c mailkit -n "__fish_mailkit_needs_command" -f -a "dele" -d 'Delete messages from a POP3 mailbox by UIDL or number'
complete -c mailkit -n "__fish_mailkit_needs_command" -f -a "resolve" -d 'Query DNS like dig, and explain where mail for a domain goes'
complete -c mailkit -n "__fish_mailkit_needs_command" -f -a "parse" -d 'Inspect raw messages, mbox files and Maildirs: headers, MIME tree, attachments'
complete -c mailkit -n "__fish_mailkit_needs_command" -f -a "generate" -d 'Write shell completions and man pages (for packagers and the repository)'
complete -c mailkit -n "__fish_mailkit_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -l json -d 'Print results as JSON (one document per result; JSON Lines for streams)'
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -s v -l verbose -d 'Show the protocol transcript on stderr (secrets redacted)'
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -s h -l help -d 'Print help'
complete -c mailkit -n "__fish_mailkit_using_subcommand send" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l uidl -d 'Fetch the message with this UIDL (repeatable)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -s m -l maildir -d 'Deliver into this Maildir (created if missing)' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l mbox -d 'Append to this mbox file (mboxrd quoting, locked while writing)' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l max-size -d 'Skip messages larger than this many bytes (suffixes k, M, G)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l state-file -d 'The seen-UIDL state file (default: $XDG_STATE_HOME/mailkit/uidl/[account+]user@host:port)' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l batch -d 'Messages per group commit (one directory fsync and one state write per batch)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -s a -l account -d 'Named account from the accounts file (host, port, TLS, user, password source)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -s s -l server -d 'POP3 server, HOST or HOST:PORT (default port 995, or 110 with --tls starttls|none)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -s u -l user -d 'Login name' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l tls -d 'Connection protection: tls (implicit, port 995), starttls (STLS on 110, required), none' -r -f -a "tls\t'TLS from the first byte (SMTPS 465, POP3S 995)'
starttls\t'Upgrade with STARTTLS/STLS, and fail if the server does not offer it'
opportunistic\t'Upgrade when offered, carry on in cleartext with a warning otherwise (port-25 delivery)'
none\t'Never encrypt'"
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l ca-file -d 'Extra trusted CA certificates (PEM), for a private CA' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l auth -d 'Login mechanism (auto: SASL PLAIN if offered, else USER/PASS, else APOP)' -r -f -a "auto\t'SASL PLAIN if offered, else USER/PASS, else APOP'
user\t'USER and PASS (RFC 1939 §7)'
apop\t'APOP digest of the greeting\'s timestamp and the password (RFC 1939 §7)'
plain\t'SASL PLAIN (RFC 5034, RFC 4616)'
xoauth2\t'SASL XOAUTH2 with an OAuth 2 bearer token (the two-step form Microsoft requires)'"
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l password-file -d 'Read the password from this file (first line)' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l password-command -d 'Run this shell command and use the first line it prints as the password' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l oauth-token-command -d 'For --auth xoauth2: run this shell command to get the OAuth 2 access token (default: the account\'s source, else $MAILKIT_OAUTH_TOKEN)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l timeout -d 'Seconds to wait for the connection and for each reply' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -s n -l new -d 'Fetch only messages whose UIDL is not in the state file (seen before with another size counts as new)'
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l stdout -d 'Write one message to stdout, bytes unchanged (CRLF line ends as received)'
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -s d -l delete -d 'Delete each message from the server once it is safely on disk'
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -s i -l interactive -d 'Pick the messages to fetch and to delete interactively (needs a terminal)'
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l insecure-skip-tls-verify -d 'Accept any TLS certificate (INSECURE: anyone on the path can read your mail)'
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l allow-cleartext-password -d 'Allow sending a password or token over a connection without TLS'
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l json -d 'Print results as JSON (one document per result; JSON Lines for streams)'
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -s v -l verbose -d 'Show the protocol transcript on stderr (secrets redacted)'
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -s a -l account -d 'Named account from the accounts file (host, port, TLS, user, password source)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -s s -l server -d 'POP3 server, HOST or HOST:PORT (default port 995, or 110 with --tls starttls|none)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -s u -l user -d 'Login name' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -l tls -d 'Connection protection: tls (implicit, port 995), starttls (STLS on 110, required), none' -r -f -a "tls\t'TLS from the first byte (SMTPS 465, POP3S 995)'
starttls\t'Upgrade with STARTTLS/STLS, and fail if the server does not offer it'
opportunistic\t'Upgrade when offered, carry on in cleartext with a warning otherwise (port-25 delivery)'
none\t'Never encrypt'"
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -l ca-file -d 'Extra trusted CA certificates (PEM), for a private CA' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -l auth -d 'Login mechanism (auto: SASL PLAIN if offered, else USER/PASS, else APOP)' -r -f -a "auto\t'SASL PLAIN if offered, else USER/PASS, else APOP'
user\t'USER and PASS (RFC 1939 §7)'
apop\t'APOP digest of the greeting\'s timestamp and the password (RFC 1939 §7)'
plain\t'SASL PLAIN (RFC 5034, RFC 4616)'
xoauth2\t'SASL XOAUTH2 with an OAuth 2 bearer token (the two-step form Microsoft requires)'"
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -l password-file -d 'Read the password from this file (first line)' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -l password-command -d 'Run this shell command and use the first line it prints as the password' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -l oauth-token-command -d 'For --auth xoauth2: run this shell command to get the OAuth 2 access token (default: the account\'s source, else $MAILKIT_OAUTH_TOKEN)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -l timeout -d 'Seconds to wait for the connection and for each reply' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -s H -l headers -d 'Also show From, Subject and Date (one TOP n 0 per message)'
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -l insecure-skip-tls-verify -d 'Accept any TLS certificate (INSECURE: anyone on the path can read your mail)'
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -l allow-cleartext-password -d 'Allow sending a password or token over a connection without TLS'
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -l json -d 'Print results as JSON (one document per result; JSON Lines for streams)'
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -s v -l verbose -d 'Show the protocol transcript on stderr (secrets redacted)'
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -l uidl -d 'Delete the message with this UIDL (repeatable); refused if it is not on the server' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -s a -l account -d 'Named account from the accounts file (host, port, TLS, user, password source)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -s s -l server -d 'POP3 server, HOST or HOST:PORT (default port 995, or 110 with --tls starttls|none)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -s u -l user -d 'Login name' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -l tls -d 'Connection protection: tls (implicit, port 995), starttls (STLS on 110, required), none' -r -f -a "tls\t'TLS from the first byte (SMTPS 465, POP3S 995)'
starttls\t'Upgrade with STARTTLS/STLS, and fail if the server does not offer it'
opportunistic\t'Upgrade when offered, carry on in cleartext with a warning otherwise (port-25 delivery)'
none\t'Never encrypt'"
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -l ca-file -d 'Extra trusted CA certificates (PEM), for a private CA' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -l auth -d 'Login mechanism (auto: SASL PLAIN if offered, else USER/PASS, else APOP)' -r -f -a "auto\t'SASL PLAIN if offered, else USER/PASS, else APOP'
user\t'USER and PASS (RFC 1939 §7)'
apop\t'APOP digest of the greeting\'s timestamp and the password (RFC 1939 §7)'
plain\t'SASL PLAIN (RFC 5034, RFC 4616)'
xoauth2\t'SASL XOAUTH2 with an OAuth 2 bearer token (the two-step form Microsoft requires)'"
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -l password-file -d 'Read the password from this file (first line)' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -l password-command -d 'Run this shell command and use the first line it prints as the password' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -l oauth-token-command -d 'For --auth xoauth2: run this shell command to get the OAuth 2 access token (default: the account\'s source, else $MAILKIT_OAUTH_TOKEN)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -l timeout -d 'Seconds to wait for the connection and for each reply' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -s y -l yes -d 'Do not ask for confirmation (required when stdin is not a terminal)'
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -s n -l dry-run -d 'Show what would be deleted and change nothing'
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -l insecure-skip-tls-verify -d 'Accept any TLS certificate (INSECURE: anyone on the path can read your mail)'
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -l allow-cleartext-password -d 'Allow sending a password or token over a connection without TLS'
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -l json -d 'Print results as JSON (one document per result; JSON Lines for streams)'
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -s v -l verbose -d 'Show the protocol transcript on stderr (secrets redacted)'
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand resolve" -l json -d 'Print results as JSON (one document per result; JSON Lines for streams)'
complete -c mailkit -n "__fish_mailkit_using_subcommand resolve" -s v -l verbose -d 'Show the protocol transcript on stderr (secrets redacted)'
complete -c mailkit -n "__fish_mailkit_using_subcommand resolve" -s h -l help -d 'Print help'
complete -c mailkit -n "__fish_mailkit_using_subcommand resolve" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand parse" -l json -d 'Print results as JSON (one document per result; JSON Lines for streams)'
complete -c mailkit -n "__fish_mailkit_using_subcommand parse" -s v -l verbose -d 'Show the protocol transcript on stderr (secrets redacted)'
complete -c mailkit -n "__fish_mailkit_using_subcommand parse" -s h -l help -d 'Print help'
complete -c mailkit -n "__fish_mailkit_using_subcommand parse" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand generate" -l out-dir -d 'Directory that receives `completions/` and `man/`' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand generate" -l json -d 'Print results as JSON (one document per result; JSON Lines for streams)'
complete -c mailkit -n "__fish_mailkit_using_subcommand generate" -s v -l verbose -d 'Show the protocol transcript on stderr (secrets redacted)'
complete -c mailkit -n "__fish_mailkit_using_subcommand generate" -s h -l help -d 'Print help'
complete -c mailkit -n "__fish_mailkit_using_subcommand generate" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand help; and not __fish_seen_subcommand_from send fetch list dele resolve parse generate help" -f -a "send" -d 'Send mail over SMTP: compose or pass a raw message, via a relay or direct to the MX'
complete -c mailkit -n "__fish_mailkit_using_subcommand help; and not __fish_seen_subcommand_from send fetch list dele resolve parse generate help" -f -a "fetch" -d 'Download messages over POP3 to a Maildir, an mbox or stdout, never losing one'
complete -c mailkit -n "__fish_mailkit_using_subcommand help; and not __fish_seen_subcommand_from send fetch list dele resolve parse generate help" -f -a "list" -d 'List the messages in a POP3 mailbox without changing it'
complete -c mailkit -n "__fish_mailkit_using_subcommand help; and not __fish_seen_subcommand_from send fetch list dele resolve parse generate help" -f -a "dele" -d 'Delete messages from a POP3 mailbox by UIDL or number'
complete -c mailkit -n "__fish_mailkit_using_subcommand help; and not __fish_seen_subcommand_from send fetch list dele resolve parse generate help" -f -a "resolve" -d 'Query DNS like dig, and explain where mail for a domain goes'
complete -c mailkit -n "__fish_mailkit_using_subcommand help; and not __fish_seen_subcommand_from send fetch list dele resolve parse generate help" -f -a "parse" -d 'Inspect raw messages, mbox files and Maildirs: headers, MIME tree, attachments'
complete -c mailkit -n "__fish_mailkit_using_subcommand help; and not __fish_seen_subcommand_from send fetch list dele resolve parse generate help" -f -a "generate" -d 'Write shell completions and man pages (for packagers and the repository)'
complete -c mailkit -n "__fish_mailkit_using_subcommand help; and not __fish_seen_subcommand_from send fetch list dele resolve parse generate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
