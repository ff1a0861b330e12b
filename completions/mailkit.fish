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
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -l json -d 'Print results as JSON (one document per result; JSON Lines for streams)'
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -s v -l verbose -d 'Show the protocol transcript on stderr (secrets redacted)'
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -s h -l help -d 'Print help'
complete -c mailkit -n "__fish_mailkit_using_subcommand fetch" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -l json -d 'Print results as JSON (one document per result; JSON Lines for streams)'
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -s v -l verbose -d 'Show the protocol transcript on stderr (secrets redacted)'
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -s h -l help -d 'Print help'
complete -c mailkit -n "__fish_mailkit_using_subcommand list" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -l json -d 'Print results as JSON (one document per result; JSON Lines for streams)'
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -s v -l verbose -d 'Show the protocol transcript on stderr (secrets redacted)'
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -s h -l help -d 'Print help'
complete -c mailkit -n "__fish_mailkit_using_subcommand dele" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand resolve" -s s -l server -d 'Server to ask instead of those of /etc/resolv.conf: IP, IP:PORT or [IPv6]:PORT (repeatable: asked in order)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand resolve" -s x -l reverse -d 'Reverse lookup: the PTR record of this IPv4 or IPv6 address' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand resolve" -l timeout -d 'Seconds to wait for each reply' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand resolve" -l attempts -d 'Times to send each query to a server before giving up on it' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand resolve" -l root-hints -d 'Root servers for --trace: a root hints file (zone-file format, as named.root), or comma-separated addresses. Default: the real root servers' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand resolve" -l batch -d 'Resolve the names in FILE (`-` for stdin), one `NAME [TYPE...]` per line (`#` comments), concurrently; results are printed one per line in input order (JSON Lines with --json). Types on the command line are the default for lines without one' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand resolve" -l concurrency -d 'Queries in flight at once in --batch mode (more than the server\'s socket buffer holds only makes it drop queries)' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand resolve" -l tcp -d 'Query over TCP instead of UDP (UDP answers that come back truncated are retried over TCP anyway)'
complete -c mailkit -n "__fish_mailkit_using_subcommand resolve" -l norecurse -d 'Clear the RD bit: ask the server only for what it holds itself'
complete -c mailkit -n "__fish_mailkit_using_subcommand resolve" -l short -d 'Print only the record data of the answers, one per line'
complete -c mailkit -n "__fish_mailkit_using_subcommand resolve" -l trace -d 'Resolve iteratively from the root servers, printing each referral with the server asked and its time (RD cleared)'
complete -c mailkit -n "__fish_mailkit_using_subcommand resolve" -l check -d 'Explain mail routing for the domain: MX hosts in the order a sender tries them with their addresses and TTLs, and findings (null MX, implicit MX, MX target that is a CNAME or an IP literal, target without address, lame or unreachable name servers, NXDOMAIN)'
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
