
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
            cand fetch 'Download messages over POP3 or IMAP to a Maildir, an mbox or stdout, never losing one'
            cand list 'List the messages of a POP3 mailbox or IMAP folders (or the folders) without changing them'
            cand dele 'Delete messages from a POP3 mailbox (by UIDL or number) or an IMAP folder (by UID)'
            cand resolve 'Query DNS like dig, and explain where mail for a domain goes'
            cand queue 'The outgoing queue: list, deliver (run, flush), show, remove, hold, release, retry'
            cand parse 'Inspect raw messages, mbox files and Maildirs: headers, MIME tree, attachments'
            cand serve 'Run a local mail server to try and test mail with: SMTP in, POP3 and IMAP out, a web view; `--demo` shows alice''s message reaching bob through it'
            cand generate 'Write shell completions and man pages (for packagers and the repository)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mailkit;send'= {
            cand --mbox 'Send every message of an mbox file (one connection per destination for all of them)'
            cand -f 'Sender: the From header of a composed message and the envelope sender (MAIL FROM). `addr` or `"Name <addr>"`. For raw messages, only the envelope sender'
            cand --from 'Sender: the From header of a composed message and the envelope sender (MAIL FROM). `addr` or `"Name <addr>"`. For raw messages, only the envelope sender'
            cand --to 'Recipient (To header when composing); repeatable'
            cand --cc 'Copy recipient (Cc header when composing); repeatable'
            cand --bcc 'Blind copy recipient: in the envelope only, never in a header; repeatable'
            cand -s 'Subject of a composed message (non-ASCII is encoded per RFC 2047)'
            cand --subject 'Subject of a composed message (non-ASCII is encoded per RFC 2047)'
            cand -b 'Body text of a composed message. Without --body or --body-file, the body is read from stdin when stdin is not a terminal'
            cand --body 'Body text of a composed message. Without --body or --body-file, the body is read from stdin when stdin is not a terminal'
            cand --body-file 'File holding the body text (`-` for stdin)'
            cand --html-file 'HTML file sent as an alternative to the text body'
            cand --header 'Extra header of a composed message, `"Name: value"`; repeatable'
            cand -a 'File to attach (MIME type from its name, base64); repeatable'
            cand --attach 'File to attach (MIME type from its name, base64); repeatable'
            cand -S 'Relay server, `host[:port]` (port 587 STARTTLS by default, 465 implicit TLS). Without a relay or account, mail goes directly to each recipient domain''s MX hosts'
            cand --server 'Relay server, `host[:port]` (port 587 STARTTLS by default, 465 implicit TLS). Without a relay or account, mail goes directly to each recipient domain''s MX hosts'
            cand -A 'Account from the accounts file (server, port, TLS, user, password source)'
            cand --account 'Account from the accounts file (server, port, TLS, user, password source)'
            cand --port 'Port to connect to, overriding the server''s, the account''s or port 25 for MX delivery'
            cand --tls 'Connection protection: tls (implicit), starttls (required), opportunistic (upgrade when offered, warn otherwise; the default for MX delivery) or none'
            cand --ca-file 'Extra trusted CA certificates (PEM), for a private CA'
            cand -u 'Login name for AUTH (the password comes from --password-env, --password-file, --password-command, or a prompt; never from the command line)'
            cand --user 'Login name for AUTH (the password comes from --password-env, --password-file, --password-command, or a prompt; never from the command line)'
            cand --password-env 'Environment variable holding the password (or the OAuth token for xoauth2)'
            cand --password-file 'File holding the password (or the OAuth token), first line'
            cand --password-command 'Command printing the password (or the OAuth token) as its first line'
            cand --auth 'SASL mechanism (default: PLAIN, else LOGIN, from the server''s offer)'
            cand --dns-server 'DNS server for MX lookups, `IP[:PORT]` (default: the system resolver)'
            cand --ehlo 'Name to give in EHLO (default: this host''s name when fully qualified, else the address literal of the connection, such as [192.0.2.1])'
            cand --timeout 'Seconds each reply (the greeting, every command''s reply) and the TLS handshake may take in all, however slowly their bytes arrive'
            cand --connect-timeout 'Seconds to wait for a TCP connection to be accepted before trying the next address or MX (Postfix''s smtp_connect_timeout is 30 s too)'
            cand --notify 'DSN: when to notify the sender (NEVER, or a comma list of SUCCESS, FAILURE, DELAY)'
            cand --ret 'DSN: return the full message or only headers in notifications'
            cand --envid 'DSN: envelope identifier quoted back in notifications'
            cand --queue-dir 'The queue directory (default: $XDG_STATE_HOME/mailkit/queue, else ~/.local/state/mailkit/queue)'
            cand --json 'Print results as JSON (one document per result; JSON Lines for streams)'
            cand -v 'Show the protocol transcript on stderr (secrets redacted)'
            cand --verbose 'Show the protocol transcript on stderr (secrets redacted)'
            cand --raw 'Send a raw message read from stdin (same as giving `-`)'
            cand -t 'Read recipients from the raw message''s To, Cc and Bcc headers (like `sendmail -t`); the Bcc header is removed from what is sent'
            cand --read-recipients 'Read recipients from the raw message''s To, Cc and Bcc headers (like `sendmail -t`); the Bcc header is removed from what is sent'
            cand --insecure-skip-tls-verify 'INSECURE: accept any TLS certificate (anyone on the path can read the session)'
            cand --allow-cleartext-auth 'INSECURE: allow a password or token over a connection without TLS'
            cand --queue 'Do not send now: write the message durably into the queue, print its queue id, exit 0; `mailkit queue run` delivers it'
            cand --queue-on-failure 'Try now; on a temporary failure keep the message (for the recipients still pending) in the queue and exit 0 with a note. A permanent failure still exits 69'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
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
            cand --batch 'Messages per group commit (one directory fsync and one state write per batch; default 1024)'
            cand --folder 'IMAP: the folder to fetch from (repeatable; default INBOX)'
            cand --move-to 'IMAP: move each message to this folder once it is safely on disk (MOVE, else COPY, \Deleted and UID EXPUNGE)'
            cand -A 'Named account from the accounts file (host, port, TLS, user, password source)'
            cand --account 'Named account from the accounts file (host, port, TLS, user, password source)'
            cand -S 'Server, HOST or HOST:PORT (default port 995 for POP3, 993 for IMAP; 110/143 with --tls starttls|none)'
            cand --server 'Server, HOST or HOST:PORT (default port 995 for POP3, 993 for IMAP; 110/143 with --tls starttls|none)'
            cand --protocol 'Protocol (default: the account''s, else the port''s: 143/993 IMAP, 110/995 POP3)'
            cand -u 'Login name'
            cand --user 'Login name'
            cand --tls 'Connection protection: tls (implicit, port 995/993), starttls (STLS on 110, STARTTLS on 143, required), none'
            cand --ca-file 'Extra trusted CA certificates (PEM), for a private CA'
            cand --auth 'Login mechanism (auto: SASL PLAIN if offered, else USER/PASS or IMAP LOGIN, else APOP; user means IMAP LOGIN over IMAP)'
            cand --password-env 'Environment variable holding the password (or the OAuth token for xoauth2)'
            cand --password-file 'File holding the password (or the OAuth token), first line'
            cand --password-command 'Command printing the password (or the OAuth token) as its first line'
            cand --oauth-token-command 'For --auth xoauth2: run this shell command to get the OAuth 2 access token (default: the account''s source, else $MAILKIT_OAUTH_TOKEN)'
            cand --timeout 'Seconds each reply line (and every status reply as a whole, and the TLS handshake) may take, however slowly its bytes arrive'
            cand --connect-timeout 'Seconds to wait for the TCP connection to be accepted'
            cand --json 'Print results as JSON (one document per result; JSON Lines for streams)'
            cand -v 'Show the protocol transcript on stderr (secrets redacted)'
            cand --verbose 'Show the protocol transcript on stderr (secrets redacted)'
            cand -N 'Fetch only messages whose UIDL is not in the state file (seen before with another size counts as new)'
            cand --new 'Fetch only messages whose UIDL is not in the state file (seen before with another size counts as new)'
            cand --stdout 'Write one message to stdout, bytes unchanged (CRLF line ends as received)'
            cand -d 'Delete each message from the server once it is safely on disk'
            cand --delete 'Delete each message from the server once it is safely on disk'
            cand -i 'Pick the messages to fetch and to delete interactively (needs a terminal)'
            cand --interactive 'Pick the messages to fetch and to delete interactively (needs a terminal)'
            cand --mark-seen 'IMAP: flag fetched messages \Seen (by default fetching changes nothing on the server)'
            cand --watch 'IMAP: stay connected and fetch new messages as they arrive (IDLE, else NOOP polling), until SIGINT or SIGTERM; implies --new'
            cand --allow-plain-expunge 'IMAP: on a server without UIDPLUS, delete with a plain EXPUNGE, which also removes messages other clients marked \Deleted (else mailkit moves to the Trash folder or refuses)'
            cand --insecure-skip-tls-verify 'INSECURE: accept any TLS certificate (anyone on the path can read the session)'
            cand --allow-cleartext-auth 'INSECURE: allow a password or token over a connection without TLS'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailkit;list'= {
            cand --folder 'IMAP: the folder to list (repeatable; default INBOX)'
            cand -A 'Named account from the accounts file (host, port, TLS, user, password source)'
            cand --account 'Named account from the accounts file (host, port, TLS, user, password source)'
            cand -S 'Server, HOST or HOST:PORT (default port 995 for POP3, 993 for IMAP; 110/143 with --tls starttls|none)'
            cand --server 'Server, HOST or HOST:PORT (default port 995 for POP3, 993 for IMAP; 110/143 with --tls starttls|none)'
            cand --protocol 'Protocol (default: the account''s, else the port''s: 143/993 IMAP, 110/995 POP3)'
            cand -u 'Login name'
            cand --user 'Login name'
            cand --tls 'Connection protection: tls (implicit, port 995/993), starttls (STLS on 110, STARTTLS on 143, required), none'
            cand --ca-file 'Extra trusted CA certificates (PEM), for a private CA'
            cand --auth 'Login mechanism (auto: SASL PLAIN if offered, else USER/PASS or IMAP LOGIN, else APOP; user means IMAP LOGIN over IMAP)'
            cand --password-env 'Environment variable holding the password (or the OAuth token for xoauth2)'
            cand --password-file 'File holding the password (or the OAuth token), first line'
            cand --password-command 'Command printing the password (or the OAuth token) as its first line'
            cand --oauth-token-command 'For --auth xoauth2: run this shell command to get the OAuth 2 access token (default: the account''s source, else $MAILKIT_OAUTH_TOKEN)'
            cand --timeout 'Seconds each reply line (and every status reply as a whole, and the TLS handshake) may take, however slowly its bytes arrive'
            cand --connect-timeout 'Seconds to wait for the TCP connection to be accepted'
            cand --json 'Print results as JSON (one document per result; JSON Lines for streams)'
            cand -v 'Show the protocol transcript on stderr (secrets redacted)'
            cand --verbose 'Show the protocol transcript on stderr (secrets redacted)'
            cand -H 'Also show From, Subject and Date (one TOP n 0 per message)'
            cand --headers 'Also show From, Subject and Date (one TOP n 0 per message)'
            cand --folders 'IMAP: list the folders with their message and unseen counts (STATUS) instead'
            cand --insecure-skip-tls-verify 'INSECURE: accept any TLS certificate (anyone on the path can read the session)'
            cand --allow-cleartext-auth 'INSECURE: allow a password or token over a connection without TLS'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailkit;dele'= {
            cand --uidl 'Delete the message with this UIDL (repeatable); refused if it is not on the server'
            cand --uid 'IMAP: delete the message with this UID in the folder (repeatable); refused if it is not there'
            cand --folder 'IMAP: the folder (default INBOX)'
            cand -A 'Named account from the accounts file (host, port, TLS, user, password source)'
            cand --account 'Named account from the accounts file (host, port, TLS, user, password source)'
            cand -S 'Server, HOST or HOST:PORT (default port 995 for POP3, 993 for IMAP; 110/143 with --tls starttls|none)'
            cand --server 'Server, HOST or HOST:PORT (default port 995 for POP3, 993 for IMAP; 110/143 with --tls starttls|none)'
            cand --protocol 'Protocol (default: the account''s, else the port''s: 143/993 IMAP, 110/995 POP3)'
            cand -u 'Login name'
            cand --user 'Login name'
            cand --tls 'Connection protection: tls (implicit, port 995/993), starttls (STLS on 110, STARTTLS on 143, required), none'
            cand --ca-file 'Extra trusted CA certificates (PEM), for a private CA'
            cand --auth 'Login mechanism (auto: SASL PLAIN if offered, else USER/PASS or IMAP LOGIN, else APOP; user means IMAP LOGIN over IMAP)'
            cand --password-env 'Environment variable holding the password (or the OAuth token for xoauth2)'
            cand --password-file 'File holding the password (or the OAuth token), first line'
            cand --password-command 'Command printing the password (or the OAuth token) as its first line'
            cand --oauth-token-command 'For --auth xoauth2: run this shell command to get the OAuth 2 access token (default: the account''s source, else $MAILKIT_OAUTH_TOKEN)'
            cand --timeout 'Seconds each reply line (and every status reply as a whole, and the TLS handshake) may take, however slowly its bytes arrive'
            cand --connect-timeout 'Seconds to wait for the TCP connection to be accepted'
            cand --json 'Print results as JSON (one document per result; JSON Lines for streams)'
            cand -v 'Show the protocol transcript on stderr (secrets redacted)'
            cand --verbose 'Show the protocol transcript on stderr (secrets redacted)'
            cand --allow-plain-expunge 'IMAP: on a server without UIDPLUS, use a plain EXPUNGE (it also removes messages other clients marked \Deleted); else mailkit moves to the Trash folder or refuses'
            cand -y 'Do not ask for confirmation (required when stdin is not a terminal)'
            cand --yes 'Do not ask for confirmation (required when stdin is not a terminal)'
            cand -n 'Show what would be deleted and change nothing'
            cand --dry-run 'Show what would be deleted and change nothing'
            cand --insecure-skip-tls-verify 'INSECURE: accept any TLS certificate (anyone on the path can read the session)'
            cand --allow-cleartext-auth 'INSECURE: allow a password or token over a connection without TLS'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailkit;resolve'= {
            cand -S 'Server to ask instead of those of /etc/resolv.conf: IP, IP:PORT or [IPv6]:PORT (repeatable: asked in order)'
            cand --server 'Server to ask instead of those of /etc/resolv.conf: IP, IP:PORT or [IPv6]:PORT (repeatable: asked in order)'
            cand -x 'Reverse lookup: the PTR record of this IPv4 or IPv6 address'
            cand --reverse 'Reverse lookup: the PTR record of this IPv4 or IPv6 address'
            cand --timeout 'Seconds to wait for each reply'
            cand --attempts 'Times to send each query to a server before giving up on it'
            cand --root-hints 'Root servers for --trace: a root hints file (zone-file format, as named.root), or comma-separated addresses. Default: the real root servers'
            cand --batch 'Resolve the names in FILE (`-` for stdin), one `NAME [TYPE...]` per line (`#` comments), concurrently; results are printed one per line in input order (JSON Lines with --json). Types on the command line are the default for lines without one'
            cand --concurrency 'Queries in flight at once in --batch mode (more than the server''s socket buffer holds only makes it drop queries)'
            cand --json 'Print results as JSON (one document per result; JSON Lines for streams)'
            cand -v 'Show the protocol transcript on stderr (secrets redacted)'
            cand --verbose 'Show the protocol transcript on stderr (secrets redacted)'
            cand --tcp 'Query over TCP instead of UDP (UDP answers that come back truncated are retried over TCP anyway)'
            cand --norecurse 'Clear the RD bit: ask the server only for what it holds itself'
            cand --short 'Print only the record data of the answers, one per line'
            cand --trace 'Resolve iteratively from the root servers, printing each referral with the server asked and its time (RD cleared)'
            cand --check 'Explain mail routing for the domain: MX hosts in the order a sender tries them with their addresses and TTLs, and findings (null MX, implicit MX, MX target that is a CNAME or an IP literal, target without address, lame or unreachable name servers, NXDOMAIN)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailkit;queue'= {
            cand --queue-dir 'The queue directory (default: $XDG_STATE_HOME/mailkit/queue, else ~/.local/state/mailkit/queue)'
            cand --json 'Print results as JSON (one document per result; JSON Lines for streams)'
            cand -v 'Show the protocol transcript on stderr (secrets redacted)'
            cand --verbose 'Show the protocol transcript on stderr (secrets redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand list 'List queued messages: id, age, state, attempts, next attempt, sender, and each recipient''s last reply'
            cand run 'Deliver the messages that are due (safe from cron, and alongside another run)'
            cand flush 'Deliver every queued message now, ignoring the retry schedule'
            cand show 'Show one message''s envelope, route and recipients (--raw: the message itself)'
            cand rm 'Remove messages from the queue without sending them'
            cand hold 'Keep messages in the queue without trying them until released'
            cand release 'Let held messages be tried again'
            cand retry 'Send again, at the next run, to recipients that are uncertain or were given up on (never to those that accepted or refused for good)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mailkit;queue;list'= {
            cand --queue-dir 'The queue directory (default: $XDG_STATE_HOME/mailkit/queue, else ~/.local/state/mailkit/queue)'
            cand --json 'Print results as JSON (one document per result; JSON Lines for streams)'
            cand -v 'Show the protocol transcript on stderr (secrets redacted)'
            cand --verbose 'Show the protocol transcript on stderr (secrets redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailkit;queue;run'= {
            cand --retry-first 'Wait after the first failed attempt; it doubles after each further one (300, 5m, 1h)'
            cand --retry-max 'The longest wait between attempts'
            cand --max-lifetime 'Give up on a message this long after it was queued, and bounce it'
            cand --delay-warning 'Tell the sender once (an RFC 3464 "delayed" notification) when a message is still undelivered this long after it was queued; off unless given'
            cand --queue-dir 'The queue directory (default: $XDG_STATE_HOME/mailkit/queue, else ~/.local/state/mailkit/queue)'
            cand --no-bounce 'Do not send delivery status notifications (bounces) to the senders of refused mail'
            cand --json 'Print results as JSON (one document per result; JSON Lines for streams)'
            cand -v 'Show the protocol transcript on stderr (secrets redacted)'
            cand --verbose 'Show the protocol transcript on stderr (secrets redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailkit;queue;flush'= {
            cand --retry-first 'Wait after the first failed attempt; it doubles after each further one (300, 5m, 1h)'
            cand --retry-max 'The longest wait between attempts'
            cand --max-lifetime 'Give up on a message this long after it was queued, and bounce it'
            cand --delay-warning 'Tell the sender once (an RFC 3464 "delayed" notification) when a message is still undelivered this long after it was queued; off unless given'
            cand --queue-dir 'The queue directory (default: $XDG_STATE_HOME/mailkit/queue, else ~/.local/state/mailkit/queue)'
            cand --no-bounce 'Do not send delivery status notifications (bounces) to the senders of refused mail'
            cand --json 'Print results as JSON (one document per result; JSON Lines for streams)'
            cand -v 'Show the protocol transcript on stderr (secrets redacted)'
            cand --verbose 'Show the protocol transcript on stderr (secrets redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailkit;queue;show'= {
            cand --queue-dir 'The queue directory (default: $XDG_STATE_HOME/mailkit/queue, else ~/.local/state/mailkit/queue)'
            cand --raw 'Print the message bytes unchanged instead of the details'
            cand --json 'Print results as JSON (one document per result; JSON Lines for streams)'
            cand -v 'Show the protocol transcript on stderr (secrets redacted)'
            cand --verbose 'Show the protocol transcript on stderr (secrets redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailkit;queue;rm'= {
            cand --queue-dir 'The queue directory (default: $XDG_STATE_HOME/mailkit/queue, else ~/.local/state/mailkit/queue)'
            cand --json 'Print results as JSON (one document per result; JSON Lines for streams)'
            cand -v 'Show the protocol transcript on stderr (secrets redacted)'
            cand --verbose 'Show the protocol transcript on stderr (secrets redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailkit;queue;hold'= {
            cand --queue-dir 'The queue directory (default: $XDG_STATE_HOME/mailkit/queue, else ~/.local/state/mailkit/queue)'
            cand --json 'Print results as JSON (one document per result; JSON Lines for streams)'
            cand -v 'Show the protocol transcript on stderr (secrets redacted)'
            cand --verbose 'Show the protocol transcript on stderr (secrets redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailkit;queue;release'= {
            cand --queue-dir 'The queue directory (default: $XDG_STATE_HOME/mailkit/queue, else ~/.local/state/mailkit/queue)'
            cand --json 'Print results as JSON (one document per result; JSON Lines for streams)'
            cand -v 'Show the protocol transcript on stderr (secrets redacted)'
            cand --verbose 'Show the protocol transcript on stderr (secrets redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailkit;queue;retry'= {
            cand --queue-dir 'The queue directory (default: $XDG_STATE_HOME/mailkit/queue, else ~/.local/state/mailkit/queue)'
            cand --json 'Print results as JSON (one document per result; JSON Lines for streams)'
            cand -v 'Show the protocol transcript on stderr (secrets redacted)'
            cand --verbose 'Show the protocol transcript on stderr (secrets redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailkit;queue;help'= {
            cand list 'List queued messages: id, age, state, attempts, next attempt, sender, and each recipient''s last reply'
            cand run 'Deliver the messages that are due (safe from cron, and alongside another run)'
            cand flush 'Deliver every queued message now, ignoring the retry schedule'
            cand show 'Show one message''s envelope, route and recipients (--raw: the message itself)'
            cand rm 'Remove messages from the queue without sending them'
            cand hold 'Keep messages in the queue without trying them until released'
            cand release 'Let held messages be tried again'
            cand retry 'Send again, at the next run, to recipients that are uncertain or were given up on (never to those that accepted or refused for good)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mailkit;queue;help;list'= {
        }
        &'mailkit;queue;help;run'= {
        }
        &'mailkit;queue;help;flush'= {
        }
        &'mailkit;queue;help;show'= {
        }
        &'mailkit;queue;help;rm'= {
        }
        &'mailkit;queue;help;hold'= {
        }
        &'mailkit;queue;help;release'= {
        }
        &'mailkit;queue;help;retry'= {
        }
        &'mailkit;queue;help;help'= {
        }
        &'mailkit;parse'= {
            cand -M 'Only the N-th message (1-based) of each mbox or Maildir'
            cand --message 'Only the N-th message (1-based) of each mbox or Maildir'
            cand -g 'Print the decoded value of one header (each occurrence on its own line); exit 1 if absent'
            cand --header 'Print the decoded value of one header (each occurrence on its own line); exit 1 if absent'
            cand -p 'Write the decoded content of part ID to stdout, bytes unchanged; exit 1 if absent'
            cand --part 'Write the decoded content of part ID to stdout, bytes unchanged; exit 1 if absent'
            cand -X 'Save attachments into DIR under safe names, never overwriting, and print where each went'
            cand --extract 'Save attachments into DIR under safe names, never overwriting, and print where each went'
            cand --json 'Print results as JSON (one document per result; JSON Lines for streams)'
            cand -v 'Show the protocol transcript on stderr (secrets redacted)'
            cand --verbose 'Show the protocol transcript on stderr (secrets redacted)'
            cand -H 'Print every header, decoded (RFC 2047 words, RFC 2231 parameters, charsets), one per line'
            cand --headers 'Print every header, decoded (RFC 2047 words, RFC 2231 parameters, charsets), one per line'
            cand -T 'Print the best text body: text/plain, else HTML converted to text'
            cand --text 'Print the best text body: text/plain, else HTML converted to text'
            cand -r 'Print the Received chain as a table of hops, oldest first, with the delay between hops'
            cand --received 'Print the Received chain as a table of hops, oldest first, with the delay between hops'
            cand --tree 'Print only the MIME tree, as the default view shows it (like mblaze''s `mshow -t`)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailkit;serve'= {
            cand --smtp 'SMTP listener, ADDRESS:PORT or `off`'
            cand --pop3 'POP3 listener, ADDRESS:PORT or `off`'
            cand --imap 'IMAP listener, ADDRESS:PORT or `off`'
            cand --http 'HTTP listener (JSON API under /api/ and the web page), ADDRESS:PORT or `off`'
            cand --data 'Data directory: mailboxes (a Maildir per address) and the generated certificate (default: $XDG_STATE_HOME/mailkit/serve)'
            cand --hostname 'The server''s name in greetings and Received lines'
            cand --users 'Accounts file, one `address:password` per line: only these log in (POP3, IMAP, SMTP AUTH). Without it any password opens any mailbox, and only loopback addresses are allowed'
            cand --cert 'TLS certificate chain (PEM) instead of the generated self-signed one'
            cand --key 'TLS private key (PEM) for --cert'
            cand --max-size 'Largest message accepted (SMTP SIZE; suffixes k, M, G)'
            cand --max-connections 'Connections served at once; more get a try-again-later reply'
            cand --faults 'Fault plan (TOML): per SMTP stage a reply, probability, delay or drop; seed; IMAP UIDVALIDITY bumps. See the README'
            cand --fault 'A fault, STAGE=CODE[:PROBABILITY] (e.g. rcpt=451, dot=554:0.3), or STAGE=drop; stages: connect, greeting, mail, rcpt, data, dot; repeatable'
            cand --seed 'Seed of the fault generator (the same seed gives the same sequence)'
            cand --json 'Print results as JSON (one document per result; JSON Lines for streams)'
            cand -v 'Show the protocol transcript on stderr (secrets redacted)'
            cand --verbose 'Show the protocol transcript on stderr (secrets redacted)'
            cand --demo 'Show mailkit''s main job and exit: start a server on loopback (temporary data, free ports), send a message from alice to bob through it with `mailkit send -v`, fetch it back from bob''s mailbox with `mailkit fetch -v` over POP3, print it'
            cand --ephemeral 'Keep everything in a temporary directory removed at exit'
            cand --accept-any-auth 'Offer SMTP AUTH and accept any credentials'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
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
            cand fetch 'Download messages over POP3 or IMAP to a Maildir, an mbox or stdout, never losing one'
            cand list 'List the messages of a POP3 mailbox or IMAP folders (or the folders) without changing them'
            cand dele 'Delete messages from a POP3 mailbox (by UIDL or number) or an IMAP folder (by UID)'
            cand resolve 'Query DNS like dig, and explain where mail for a domain goes'
            cand queue 'The outgoing queue: list, deliver (run, flush), show, remove, hold, release, retry'
            cand parse 'Inspect raw messages, mbox files and Maildirs: headers, MIME tree, attachments'
            cand serve 'Run a local mail server to try and test mail with: SMTP in, POP3 and IMAP out, a web view; `--demo` shows alice''s message reaching bob through it'
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
        &'mailkit;help;queue'= {
        }
        &'mailkit;help;parse'= {
        }
        &'mailkit;help;serve'= {
        }
        &'mailkit;help;generate'= {
        }
        &'mailkit;help;help'= {
        }
    ]
    $completions[$command]
}
