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
complete -c mailkit -n "__fish_mailkit_using_subcommand resolve" -l json -d 'Print results as JSON (one document per result; JSON Lines for streams)'
complete -c mailkit -n "__fish_mailkit_using_subcommand resolve" -s v -l verbose -d 'Show the protocol transcript on stderr (secrets redacted)'
complete -c mailkit -n "__fish_mailkit_using_subcommand resolve" -s h -l help -d 'Print help'
complete -c mailkit -n "__fish_mailkit_using_subcommand resolve" -s V -l version -d 'Print version'
complete -c mailkit -n "__fish_mailkit_using_subcommand parse" -s n -l message -d 'Only the N-th message (1-based) of each mbox or Maildir' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand parse" -s g -l header -d 'Print the decoded value of one header (each occurrence on its own line); exit 1 if absent' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand parse" -s p -l part -d 'Write the decoded content of part ID to stdout, bytes unchanged; exit 1 if absent' -r
complete -c mailkit -n "__fish_mailkit_using_subcommand parse" -s x -l extract -d 'Save attachments into DIR under safe names, never overwriting, and print where each went' -r -F
complete -c mailkit -n "__fish_mailkit_using_subcommand parse" -s H -l headers -d 'Print every header, decoded (RFC 2047 words, RFC 2231 parameters, charsets), one per line'
complete -c mailkit -n "__fish_mailkit_using_subcommand parse" -s t -l text -d 'Print the best text body: text/plain, else HTML converted to text'
complete -c mailkit -n "__fish_mailkit_using_subcommand parse" -s r -l received -d 'Print the Received chain as a table of hops, oldest first, with the delay between hops'
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
