// The key table (config_keys.hpp). Order is the order of docs/configuration.md. Descriptions
// say what a key does and what happens at its limits, in the words an operator needs; the
// defaults are the ones the parser leaves in place when the key is absent.

#include "smppgw/gateway/config_keys.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

namespace smppgw::gateway {
namespace {

constexpr std::string_view duration = "duration";
constexpr std::string_view boolean = "boolean";
constexpr std::string_view integer = "integer";
constexpr std::string_view number = "number";
constexpr std::string_view string = "string";
constexpr std::string_view strings = "list of strings";
constexpr std::string_view table = "table";
constexpr std::string_view tables = "array of tables";
constexpr std::string_view window = "\"HH:MM-HH:MM\" or \"closed\"";

constexpr auto keys = std::to_array<config_key>({
    // ---- [server] -----------------------------------------------------------------------
    {"server", table, "", "Process-wide settings."},
    {"server.threads", integer, "0", "I/O threads; 0 means one per core. Restart to change."},
    {"server.node_id", integer, "1",
     "0..1023, part of every message id; give each node of a deployment its own. Restart to "
     "change."},
    {"server.shutdown_grace", duration, "\"10s\"",
     "On SIGTERM, how long carrier windows may drain before the daemon stops; what is left is "
     "sent again after the restart."},
    {"server.max_pending_messages", integer, "500000",
     "Messages accepted but not yet acknowledged by a carrier; beyond it submits get "
     "ESME_RMSGQFUL."},
    {"server.max_unmatched_receipts", integer, "100000",
     "Receipts no mapping claimed after the park, kept durably (GET /v1/receipts/unmatched) "
     "until their mapping appears or an operator drops them; beyond this the oldest goes "
     "(counted in smppgw_receipt_match_failures_total{reason=\"unmatched_evicted\"})."},
    {"server.receipt_timeout", duration, "\"72h\"",
     "A message awaiting its receipt with no news for this long ends as expired (an EXPIRED "
     "receipt goes to the account if it asked for failures); carriers that drop receipts "
     "cannot fill memory. Found at checkpoints (store.checkpoint_interval; at most an hour "
     "late when idle). \"0s\": wait forever."},
    {"server.receipt_park_timeout", duration, "\"30s\"",
     "A receipt that arrives before its carrier message id is journaled waits this long for "
     "it, then is acknowledged and dropped."},

    // ---- [[listeners]] ------------------------------------------------------------------
    {"listeners", tables, "required",
     "SMPP listeners for upstream applications; at least one. Addresses cannot change on "
     "reload."},
    {"listeners[].name", string, "\"smpp\"", "Name in logs and metrics labels."},
    {"listeners[].address", "\"host:port\"", "required",
     "Where to listen; \"[::1]:2775\" for IPv6, port 0 picks a free port (tests)."},
    {"listeners[].session_init_timeout", duration, "\"10s\"",
     "A connection that has not bound by then is closed."},
    {"listeners[].inactivity_timeout", duration, "\"5m\"",
     "A bound session with no PDU for this long is unbound."},
    {"listeners[].enquire_link_interval", duration, "\"0s\"",
     "Send enquire_link to idle upstream sessions this often; 0 only answers theirs."},
    {"listeners[].max_command_length", integer, "66048",
     "Largest PDU accepted (at least 1024); a longer command_length closes the session."},
    {"listeners[].max_connections_per_ip", integer, "64",
     "Open connections per source address; more are closed at accept."},
    {"listeners[].accept_rate_per_ip", number, "50",
     "New connections per second per source address (burst the same)."},
    {"listeners[].max_write_queue_bytes", integer, "4194304",
     "Bytes queued to one slow reader before the session is closed instead of buffering "
     "without bound."},
    {"listeners[].proxy_protocol", boolean, "false",
     "Every connection starts with a PROXY protocol header (v1 or v2, HAProxy's send-proxy / "
     "send-proxy-v2) naming the client, used for allowed_networks, the per-address limits and "
     "logs; one without it is closed. Only for a listener that only the balancer can reach."},
    {"listeners[].tls", table, "",
     "SMPP over TLS on this listener; present means enabled. Certificates are read again on "
     "every reload."},
    {"listeners[].tls.enabled", boolean, "true", "false keeps the table but listens in plain TCP."},
    {"listeners[].tls.certificate", "path", "required with TLS",
     "PEM certificate chain, leaf first. Checked at `config check`, startup and reload."},
    {"listeners[].tls.private_key", "path", "required with TLS",
     "PEM private key (unencrypted) matching the certificate."},
    {"listeners[].tls.client_ca", "path", "\"\"",
     "PEM CA bundle that client certificates must verify against; needed by accounts with "
     "require_client_certificate."},
    {"listeners[].tls.min_version", string, "\"1.2\"", "\"1.2\" or \"1.3\"."},

    // ---- [[accounts]] -------------------------------------------------------------------
    {"accounts", tables, "", "Upstream applications allowed to bind."},
    {"accounts[].system_id", string, "required", "The bind's system_id, 1..15 characters."},
    {"accounts[].password_hash", string, "required",
     "crypt(3) yescrypt (\"$y$...\") or SHA-512 (\"$6$...\") hash of the bind password; make "
     "one with `smppgw hash-password`."},
    {"accounts[].brand", string, "required",
     "The brand the account sends for: opt-outs and consents are kept per brand."},
    {"accounts[].default_class", string, "\"transactional\"",
     "\"transactional\", \"promotional\" or \"conversational\"; a message overrides it with "
     "service_type MKT/TXN/CNV or the vendor TLV 0x1401."},
    {"accounts[].bind_types", strings, "[\"transmitter\", \"receiver\", \"transceiver\"]",
     "Bind types the account may use (\"tx\", \"rx\", \"trx\" also accepted)."},
    {"accounts[].max_binds", integer, "8", "Concurrent binds of the account."},
    {"accounts[].max_outstanding", integer, "256",
     "Submits one bind may have awaiting submit_sm_resp; beyond it ESME_RTHROTTLED."},
    {"accounts[].rate", number, "0",
     "Messages per second across the account's binds; 0 is unlimited. Over it: "
     "ESME_RTHROTTLED."},
    {"accounts[].allowed_networks", strings, "[]",
     "Source addresses or CIDR networks allowed to bind; empty allows any."},
    {"accounts[].mo_numbers", strings, "[]",
     "Receiving numbers and short codes whose MO messages are forwarded to this account; a "
     "number belongs to one account."},
    {"accounts[].per_segment_receipts", boolean, "false",
     "One receipt per segment of a long message instead of one aggregated receipt."},
    {"accounts[].deliver_window", integer, "64",
     "deliver_sm (receipts, MOs) outstanding per receiver bind."},
    {"accounts[].require_client_certificate", boolean, "false",
     "Bind only over TLS with a client certificate that verifies against the listener's "
     "client_ca."},
    {"accounts[].client_certificate_cn", string, "\"\"",
     "When set, the client certificate's subject CN must equal it."},
    {"accounts[].campaigns", strings, "[]",
     "Campaign names (up to 32, each 1..32 of letters, digits, '-', '_', '.') a message may "
     "name in the vendor TLV 0x1402 to be counted under in metrics and /v1/stats; any other "
     "campaign counts as \"other\", none as \"none\"."},

    // ---- [[carriers]] -------------------------------------------------------------------
    {"carriers", tables, "", "Carrier SMSCs the gateway binds to as an ESME."},
    {"carriers[].name", string, "required", "Unique name used by routes, logs and metrics."},
    {"carriers[].address", "\"host:port\"", "required", "The carrier's SMPP address."},
    {"carriers[].system_id", string, "required", "Our system_id at the carrier."},
    {"carriers[].password", string, "\"\"", "Our password at the carrier (at most 8 characters)."},
    {"carriers[].system_type", string, "\"\"", "system_type sent in the bind."},
    {"carriers[].bind_mode", string, "\"trx\"",
     "\"trx\" (one transceiver per session) or \"tx+rx\" (a transmitter and a receiver)."},
    {"carriers[].sessions", integer, "1",
     "Binds (or tx+rx pairs) to keep up, 1..64; on a cluster, this node's share."},
    {"carriers[].cluster_sessions", integer, "0",
     "On a cluster: the binds (or pairs) the carrier allows all nodes together; every node adds "
     "up the shares the nodes announce and warns when they exceed it (0: not checked)."},
    {"carriers[].window", integer, "64", "Outstanding submit_sm per session, 1..4096."},
    {"carriers[].rate", number, "0",
     "submit_sm per second across the carrier's sessions; 0 is unlimited."},
    {"carriers[].enquire_link_interval", duration, "\"30s\"", "Keep-alive interval."},
    {"carriers[].response_timeout", duration, "\"30s\"",
     "A submit without a response by then is treated as lost and sent again."},
    {"carriers[].reconnect_min", duration, "\"1s\"",
     "First reconnect delay; doubles up to reconnect_max."},
    {"carriers[].reconnect_max", duration, "\"60s\"", "Longest reconnect delay."},
    {"carriers[].segmentation", string, "\"udh\"",
     "How long messages go to this carrier: \"udh\", \"sar\" TLVs or one \"payload\" "
     "(message_payload)."},
    {"carriers[].latin1", boolean, "false",
     "The carrier accepts data_coding 3 (Latin-1); otherwise such text goes as UCS-2."},
    {"carriers[].max_queue", integer, "200000",
     "Messages waiting for this carrier before the gateway pushes back."},
    {"carriers[].message_ids", table, "",
     "How this carrier writes message ids, so receipts correlate: each of \"opaque\", "
     "\"decimal\", \"hex\", \"auto\"."},
    {"carriers[].message_ids.submit_sm_resp", string, "\"opaque\"",
     "message_id in submit_sm_resp."},
    {"carriers[].message_ids.receipted_message_id", string, "\"opaque\"",
     "The receipted_message_id TLV of receipts."},
    {"carriers[].message_ids.receipt_text", string, "\"opaque\"",
     "The id: field of the receipt text."},
    {"carriers[].message_ids.fold_case", boolean, "true",
     "Compare opaque ids case-insensitively; false for carriers with case-sensitive ids "
     "(base62, base64)."},
    {"carriers[].tls", table, "", "SMPP over TLS to this carrier; present means enabled."},
    {"carriers[].tls.enabled", boolean, "true", "false keeps the table but connects in plain TCP."},
    {"carriers[].tls.ca_file", "path", "\"\"",
     "PEM CA bundle to verify the carrier; empty uses the system trust store."},
    {"carriers[].tls.server_name", string, "\"\"",
     "SNI and the name verified in the certificate; empty uses the address's host."},
    {"carriers[].tls.verify", boolean, "true",
     "Verify the carrier's certificate. Never false in production."},
    {"carriers[].tls.certificate", "path", "\"\"",
     "Client certificate (PEM), for carriers that ask for one; goes with private_key."},
    {"carriers[].tls.private_key", "path", "\"\"", "Key of the client certificate (PEM)."},
    {"carriers[].tls.min_version", string, "\"1.2\"", "\"1.2\" or \"1.3\"."},

    // ---- [[routes]] ---------------------------------------------------------------------
    {"routes", tables, "", "Destination prefix to carriers; the longest prefix wins."},
    {"routes[].prefix", string, "\"\"",
     "E.164 digits without '+'; \"\" matches every destination (the default route)."},
    {"routes[].carriers", strings, "required",
     "Carrier names in priority order; the next one takes over while the first is down."},

    // ---- [store] ------------------------------------------------------------------------
    {"store", table, "", "The RocksDB store. path cannot change on reload."},
    {"store.path", "path", "\"var/smppgw\"",
     "Directory of the store, created if missing; relative to the config file's folder."},
    {"store.sync", string, "\"batch\"",
     "\"batch\": submits are answered after the fsync of their group commit; \"always\": one "
     "fsync per commit; \"none\": written to the OS only (survives kill -9, not power loss)."},
    {"store.group_max_delay", duration, "",
     "How long a group commit waits for more batches after its first; 250 µs when absent "
     "(the file takes whole milliseconds, e.g. \"1ms\")."},
    {"store.group_max_commits", integer, "8192", "Most batches in one group commit."},
    {"store.block_cache_bytes", integer, "536870912", "RocksDB block cache."},
    {"store.write_buffer_total_bytes", integer, "268435456",
     "RocksDB memtables across all column families."},
    {"store.expected_optouts", integer, "0",
     "Presizes the in-memory opt-out index (no rehash while serving)."},
    {"store.expected_consents", integer, "0", "Presizes the in-memory consent index."},
    {"store.resume_min_free_bytes", integer, "16777216",
     "After a write failed for lack of space, writes resume only once the file system has this "
     "much free (RocksDB needs room for a flush); until then submits get ESME_RSYSERR and "
     "/readyz says not ready. Writes already stop when less than half of it is free, before "
     "RocksDB meets a full disk. Logged, and exported as smppgw_store_resume_min_free_bytes."},
    {"store.checkpoint_interval", duration, "\"1m\"",
     "A checkpoint of the messages in flight at least this often; the journal before it is "
     "trimmed. With nothing journaled since the last one, at most hourly. \"0s\": only by "
     "size."},
    {"store.checkpoint_journal_bytes", integer, "33554432",
     "A checkpoint once the journal grew this much since the last one (never less than the "
     "last checkpoint's own size); bounds restart time and the journal's flush I/O. 0: only by "
     "time."},
    {"store.retention", table, "",
     "How long records are kept; \"0s\" keeps forever. Expired records go at compaction."},
    {"store.retention.messages", duration, "\"7d\"", "Finished messages (query_sm, admin lookup)."},
    {"store.retention.carrier_ids", duration, "\"7d\"",
     "Carrier id → our id mappings: receipts later than this are not correlated."},
    {"store.retention.audit", duration, "\"1827d\"",
     "Audit records of refusals and final states (5 years, FTC TSR 16 CFR 310.5)."},
    {"store.retention.evidence", duration, "\"1827d\"",
     "Consent events and opt-out history. Active opt-outs and current consents never "
     "expire."},
    {"store.retention.outbox", duration, "\"0s\"",
     "Undelivered receipts and MOs (not in flight to a bind) older than this are dropped, "
     "logged and counted in smppgw_outbox_expired_total; 0 keeps them until an upstream bind "
     "acknowledges them."},
    {"store.retention.freq_window", duration, "\"24h\"",
     "Send times kept for frequency caps; at least the longest cap window."},
    {"store.retention.stats", duration, "\"400d\"",
     "Hourly traffic counters behind GET /v1/stats (per account, brand and campaign)."},

    // ---- [policy] -----------------------------------------------------------------------
    {"policy", table, "",
     "The compliance stage (docs/compliance.md). Every key is optional; lists of named things "
     "(rule sets, regions, languages, texts, brands) merge by name with the built-in "
     "defaults."},
    {"policy.data", table, "", "Data files; relative paths from the config file's folder."},
    {"policy.data.dir", "path", "\"data\"",
     "Folder with timezones/map_data.txt, nanp/area_codes.csv, nanp/overlays.csv and "
     "holidays/<name>.txt; the packaged config says /usr/share/smppgw/data."},
    {"policy.data.map_data", "path", "\"<dir>/timezones/map_data.txt\"",
     "Number prefix → time zones (libphonenumber)."},
    {"policy.data.area_codes", "path", "\"<dir>/nanp/area_codes.csv\"",
     "NANP area code → region (US-FL, CA-ON, JM)."},
    {"policy.data.overlays", "path", "\"<dir>/nanp/overlays.csv\"",
     "NANP overlay → parent area codes; \"\" uses the built-in list only."},
    {"policy.data.holidays", tables, "", "Holiday calendars by name; merge by name."},
    {"policy.data.holidays[].name", string, "required",
     "Calendar name used by rule_sets[].holiday_calendars (US-AL, US-LA, FR, FR-AM built in)."},
    {"policy.data.holidays[].path", "path", "required", "File of YYYY-MM-DD dates."},

    {"policy.destination", table, "", "Destination validation and E.164 normalization."},
    {"policy.destination.shadow", boolean, "false",
     "Count invalid destinations but accept them (the rest of the chain is skipped)."},
    {"policy.destination.default_country_code", string, "\"1\"",
     "Country code given to national numbers."},
    {"policy.destination.national_trunk_prefix", string, "\"1\"",
     "Trunk prefix stripped from national numbers (\"0\" in FR, GB)."},
    {"policy.destination.national_lengths", "list of integers", "[10]",
     "National significant number lengths."},
    {"policy.destination.unknown_ton", string, "\"infer\"",
     "How TON 0 digits are read: \"international\", \"national\" or \"infer\" ('+' or an "
     "access prefix → international, a national length → national)."},
    {"policy.destination.international_access_prefixes", strings, "[\"00\", \"011\"]",
     "Prefixes that mark an international number."},
    {"policy.destination.min_length", integer, "7", "Fewest E.164 digits."},
    {"policy.destination.max_length", integer, "15", "Most E.164 digits."},
    {"policy.destination.validate_nanp", boolean, "true",
     "Country code 1: 11 digits, area code and exchange starting 2-9."},

    {"policy.numbering", table, "", "Number → time zones and regions."},
    {"policy.numbering.fallback_zones", strings,
     "[\"America/New_York\", \"America/Chicago\", \"America/Denver\", "
     "\"America/Los_Angeles\", \"America/Anchorage\", \"Pacific/Honolulu\"]",
     "Zones for numbers with no usable prefix row; a message must fit the window in all."},
    {"policy.numbering.overlays", tables, "",
     "NANP overlays that inherit their parents' zones (12 built in); merge by npa."},
    {"policy.numbering.overlays[].npa", integer, "required", "The overlay area code."},
    {"policy.numbering.overlays[].parents", strings, "[]",
     "Parent area codes as three-digit strings."},
    {"policy.numbering.country_regions", tables, "",
     "Non-NANP calling-code prefix → region (FR, GB, IN, DE, ES, IT, MX, BR, AU, IE built "
     "in); merge by prefix."},
    {"policy.numbering.country_regions[].prefix", string, "required", "Calling-code prefix."},
    {"policy.numbering.country_regions[].region", string, "required", "ISO 3166-1 or 3166-2 code."},

    {"policy.optout", table, "", "The opt-out check."},
    {"policy.optout.enabled", boolean, "true", "false takes the check out of the chain."},
    {"policy.optout.shadow", boolean, "false", "Decide and count, but do not block."},
    {"policy.optout.review_holds", boolean, "true",
     "Honour review holds placed by ambiguous STOP messages."},
    {"policy.optout.hold_promotional", boolean, "true", "A review hold blocks promotional."},
    {"policy.optout.hold_transactional", boolean, "false", "A review hold blocks transactional."},
    {"policy.optout.hold_conversational", boolean, "false", "A review hold blocks conversational."},

    {"policy.consent", table, "", "The consent check."},
    {"policy.consent.enabled", boolean, "true", "false takes the check out of the chain."},
    {"policy.consent.shadow", boolean, "false", "Decide and count, but do not block."},
    {"policy.consent.promotional_requires_proof", boolean, "true",
     "Promotional needs prior express written consent with proof."},
    {"policy.consent.transactional_requires_consent", boolean, "true",
     "Transactional needs prior express consent (the quickstart turns this off for its demo)."},
    {"policy.consent.written_covers_transactional", boolean, "true",
     "A valid promotional (written) consent also covers transactional for the brand."},
    {"policy.consent.conversational_requires_consent", boolean, "false",
     "Conversational replies need consent like transactional."},

    {"policy.frequency", table, "", "Frequency caps per (brand, recipient)."},
    {"policy.frequency.enabled", boolean, "true", "false takes the check out of the chain."},
    {"policy.frequency.shadow", boolean, "false", "Decide and count, but do not block."},
    {"policy.frequency.promotional", boolean, "true", "Caps apply to promotional."},
    {"policy.frequency.transactional", boolean, "false", "Caps apply to transactional."},
    {"policy.frequency.conversational", boolean, "false", "Caps apply to conversational."},
    {"policy.frequency.action", string, "\"defer\"",
     "\"defer\" until the oldest send ages out, or \"reject\" (0x430)."},
    {"policy.frequency.caps", tables, "",
     "Caps by region (US-FL, US-OK, US-MD: 3 per 24 h built in); region \"*\" caps "
     "everywhere; merge by region."},
    {"policy.frequency.caps[].region", string, "required", "Region code or \"*\"."},
    {"policy.frequency.caps[].max_messages", integer, "required",
     "Sends allowed in the window, 1..the store's history capacity."},
    {"policy.frequency.caps[].window", duration, "\"24h\"", "Rolling window, whole hours."},

    {"policy.quiet_hours", table, "",
     "Allowed sending hours in the recipient's local time (every zone of the number)."},
    {"policy.quiet_hours.enabled", boolean, "true", "false takes the check out of the chain."},
    {"policy.quiet_hours.shadow", boolean, "false", "Decide and count, but do not block."},
    {"policy.quiet_hours.promotional", boolean, "true", "Quiet hours apply to promotional."},
    {"policy.quiet_hours.transactional", boolean, "false", "Quiet hours apply to transactional."},
    {"policy.quiet_hours.conversational", boolean, "false", "Quiet hours apply to conversational."},
    {"policy.quiet_hours.action", string, "\"defer\"",
     "\"defer\" to the earliest allowed instant, or \"reject\" (0x440)."},
    {"policy.quiet_hours.max_defer", duration, "\"14d\"",
     "A message with no allowed instant within this horizon is refused (0x441); whole hours."},
    {"policy.quiet_hours.rule_sets", tables, "",
     "Named weekly windows (us_federal, us_fl, us_ok, us_md, us_wa, us_ct, us_al, us_la, "
     "us_tx, canada, france, uk, india built in); an entry with a built-in name changes only "
     "the keys it sets."},
    {"policy.quiet_hours.rule_sets[].name", string, "required", "Rule set name."},
    {"policy.quiet_hours.rule_sets[].every_day", window, "", "Sets all seven days at once."},
    {"policy.quiet_hours.rule_sets[].sunday", window, "\"08:00-21:00\"",
     "Sunday's window (half-open, local time); a new rule set starts from 08:00-21:00 every "
     "day."},
    {"policy.quiet_hours.rule_sets[].monday", window, "\"08:00-21:00\"", "Monday's window."},
    {"policy.quiet_hours.rule_sets[].tuesday", window, "\"08:00-21:00\"", "Tuesday's window."},
    {"policy.quiet_hours.rule_sets[].wednesday", window, "\"08:00-21:00\"", "Wednesday's window."},
    {"policy.quiet_hours.rule_sets[].thursday", window, "\"08:00-21:00\"", "Thursday's window."},
    {"policy.quiet_hours.rule_sets[].friday", window, "\"08:00-21:00\"", "Friday's window."},
    {"policy.quiet_hours.rule_sets[].saturday", window, "\"08:00-21:00\"", "Saturday's window."},
    {"policy.quiet_hours.rule_sets[].holiday_calendars", strings, "[]",
     "Calendars (policy.data.holidays) whose dates use the holiday window."},
    {"policy.quiet_hours.rule_sets[].holiday", window, "\"closed\"", "Window on holidays."},
    {"policy.quiet_hours.regions", tables, "",
     "Region → rule sets that must all allow a send (US: us_federal; US-FL: us_federal and "
     "us_fl; ...; \"*\": us_federal); merge by region."},
    {"policy.quiet_hours.regions[].region", string, "required",
     "\"US-FL\", \"US\", \"CA\", or \"*\" for regions without an entry."},
    {"policy.quiet_hours.regions[].rule_sets", strings, "required", "Rule set names."},

    {"policy.content", table, "",
     "Content rules (carrier practice, not law): in the chain but off until configured."},
    {"policy.content.enabled", boolean, "true", "false takes the check out of the chain."},
    {"policy.content.shadow", boolean, "false", "Decide and count, but do not block."},
    {"policy.content.require_brand_prefix", boolean, "false",
     "Text must start with the brand's prefix (brand_prefixes); refusal 0x450."},
    {"policy.content.prefix_promotional", boolean, "true", "The prefix rule covers promotional."},
    {"policy.content.prefix_transactional", boolean, "true",
     "The prefix rule covers transactional."},
    {"policy.content.prefix_conversational", boolean, "false",
     "The prefix rule covers conversational."},
    {"policy.content.require_optout_instructions", boolean, "false",
     "The first promotional message after a consent must carry opt-out instructions; "
     "refusal 0x451."},
    {"policy.content.optout_markers", strings,
     "[\"stop\", \"arret\", \"unsubscribe\", \"opt out\", \"opt-out\"]",
     "Whole words that count as opt-out instructions."},
    {"policy.content.brand_prefixes", tables, "", "Prefix per brand; merge by brand."},
    {"policy.content.brand_prefixes[].brand", string, "required", "Brand."},
    {"policy.content.brand_prefixes[].prefix", string, "required",
     "Text the message must start with, e.g. \"Acme: \" (ASCII case-insensitive)."},

    {"policy.keywords", table, "", "MO keyword recognition."},
    {"policy.keywords.fuzzy_min_letters", integer, "4",
     "One-edit typos (STOPP) count as opt-out only for keywords of at least this many "
     "letters."},
    {"policy.keywords.prefix_match", boolean, "true",
     "A message that starts with an opt-out keyword is an opt-out."},
    {"policy.keywords.languages", tables, "",
     "Keyword lists per language (en, fr, es, pt built in); an entry with a built-in "
     "language replaces only the lists it sets."},
    {"policy.keywords.languages[].language", string, "required", "Language code."},
    {"policy.keywords.languages[].opt_out", strings, "", "Opt-out keywords (brand scope)."},
    {"policy.keywords.languages[].opt_out_all", strings, "",
     "Opt-out of every brand on the number (STOPALL)."},
    {"policy.keywords.languages[].opt_in", strings, "", "Keywords that lift an opt-out."},
    {"policy.keywords.languages[].confirm", strings, "",
     "Keywords that confirm a pending double opt-in (YES)."},
    {"policy.keywords.languages[].help", strings, "", "Help keywords."},
    {"policy.keywords.languages[].phrases", strings, "",
     "Whole-word sequences meaning opt-out anywhere in the text (\"stop texting\")."},
    {"policy.keywords.languages[].review_words", strings, "",
     "Words that, seen elsewhere than at the start, flag the MO for review."},
    {"policy.keywords.languages[].fuzzy_exceptions", strings, "",
     "Real words one edit from a keyword that are not typos of it (\"shop\")."},

    {"policy.mo", table, "", "What an MO keyword does, and the replies."},
    {"policy.mo.default_language", string, "\"en\"", "Reply language when nothing else says."},
    {"policy.mo.bilingual_regions", strings, "[\"CA\"]",
     "Regions (prefix match) answered in the keyword's language, or in all "
     "bilingual_languages in one message."},
    {"policy.mo.bilingual_languages", strings, "[\"en\", \"fr\"]",
     "Languages of bilingual replies."},
    {"policy.mo.revoke_consents_on_optout", boolean, "true",
     "An opt-out also revokes the number's consents for the brand (every brand for STOPALL)."},
    {"policy.mo.start_lifts_all_brands", boolean, "true",
     "START also lifts an all-brands opt-out (see docs/compliance.md for which ones)."},
    {"policy.mo.start_restores_consents", boolean, "true",
     "START restores, for that brand, the consents its STOP revoked (docs/compliance.md)."},
    {"policy.mo.hold_on_ambiguous", boolean, "true",
     "An ambiguous STOP places a review hold on (brand, number)."},
    {"policy.mo.optin_consent_classes", strings, "[\"transactional\"]",
     "Classes of the consent a START records (proof: the MO)."},
    {"policy.mo.texts", tables, "",
     "Reply texts per language (en, fr, es, pt built in); \"{brand}\" becomes the brand's "
     "display name; merge by language, unset fields keep the built-in text."},
    {"policy.mo.texts[].language", string, "required", "Language code."},
    {"policy.mo.texts[].optout_confirmation", string, "", "Reply to an opt-out."},
    {"policy.mo.texts[].optout_all_confirmation", string, "", "Reply to STOPALL."},
    {"policy.mo.texts[].optin_confirmation", string, "", "Reply to START."},
    {"policy.mo.texts[].double_opt_in_confirmation", string, "",
     "Reply to YES confirming a double opt-in."},
    {"policy.mo.texts[].help", string, "", "Reply to HELP."},
    {"policy.mo.brands", tables, "", "Per-brand reply settings; merge by brand."},
    {"policy.mo.brands[].brand", string, "required", "Brand."},
    {"policy.mo.brands[].display_name", string, "\"\"",
     "Name put in place of {brand}; empty uses the brand id."},
    {"policy.mo.brands[].language", string, "\"\"",
     "The brand's reply language; empty uses default_language."},
    {"policy.mo.brands[].texts", tables, "",
     "The brand's own texts per language; empty fields fall back to policy.mo.texts."},
    {"policy.mo.brands[].texts[].language", string, "required", "Language code."},
    {"policy.mo.brands[].texts[].optout_confirmation", string, "", "Reply to an opt-out."},
    {"policy.mo.brands[].texts[].optout_all_confirmation", string, "", "Reply to STOPALL."},
    {"policy.mo.brands[].texts[].optin_confirmation", string, "", "Reply to START."},
    {"policy.mo.brands[].texts[].double_opt_in_confirmation", string, "",
     "Reply to YES confirming a double opt-in."},
    {"policy.mo.brands[].texts[].help", string, "", "Reply to HELP."},

    // ---- [admin] ------------------------------------------------------------------------
    {"admin", table, "", "The admin HTTP API and /metrics (etc/openapi.yaml)."},
    {"admin.enabled", boolean, "true", "Serve the admin API. Restart to change."},
    {"admin.address", "\"host:port\"", "\"127.0.0.1:8775\"",
     "Where the admin API listens. Restart to change."},
    {"admin.token", string, "\"\"",
     "Bearer token (16+ characters) for everything but /healthz, /readyz and /metrics. Set "
     "token or token_file."},
    {"admin.token_file", "path", "\"\"",
     "File whose first line is the token; the Debian package generates "
     "/etc/smppgw/admin-token on install."},

    // ---- [cluster] ----------------------------------------------------------------------
    {"cluster", table, "",
     "Several nodes as one gateway over NATS JetStream (README \"Running several nodes\"). "
     "Absent: a single node. Restart to change any of it."},
    {"cluster.node", string, "required",
     "This node's name, 1-32 of A-Z a-z 0-9 _ -; unique among the nodes (give each its own "
     "server.node_id too)."},
    {"cluster.servers", strings, "required",
     "NATS URLs (nats://host:port or tls://host:port); the client connects to one and fails "
     "over to the others."},
    {"cluster.credentials_file", "path", "\"\"", "NATS .creds file (user JWT and NKey seed)."},
    {"cluster.tls", table, "", "TLS to NATS; any key here turns it on."},
    {"cluster.tls.ca_file", "path", "\"\"", "PEM bundle the servers' certificates verify against."},
    {"cluster.tls.certificate", "path", "\"\"", "Client certificate chain (PEM), with private_key."},
    {"cluster.tls.private_key", "path", "\"\"", "The client certificate's key (PEM)."},
    {"cluster.tls.server_name", string, "\"\"", "Expected server host name; default: the URL's."},
    {"cluster.replicas", integer, "3",
     "JetStream replicas of each bucket, 1..5; applied when a bucket is created. 3 keeps every "
     "acknowledged write through the loss of one server."},
    {"cluster.write_timeout", duration, "\"2s\"",
     "How long a STOP or admin write waits for the cluster's quorum acknowledgement; after it "
     "the node answers from its durable local write and publishes the change when NATS can take "
     "it."},
    {"cluster.startup_timeout", duration, "\"0s\"",
     "At startup, how long the node waits for NATS and the catch-up of its mirror before "
     "serving degraded from the local copy; 0 waits as long as it takes (and logs why)."},
    {"cluster.heartbeat_interval", duration, "\"2s\"",
     "How often the node writes its heartbeat to the nodes bucket (GET /v1/cluster lists the "
     "nodes whose heartbeat is younger than three intervals)."},
    {"cluster.receipt_routes", boolean, "false",
     "Record which node submitted each carrier message id (one replicated write to the routes "
     "bucket per submitted part), so that a receipt the carrier delivers on another node's "
     "bind is forwarded to the submitting node and matched there. Costly (BENCHMARKS.md, "
     "\"Cluster: receipts on another node's bind\"): prefer giving each node its own carrier "
     "system_id, so that the carrier returns receipts to the binds that submitted, and leave "
     "this false; then a receipt is matched only on the node whose carrier bind it arrives on."},
    {"cluster.max_remote_sends", integer, "1000000",
     "Other nodes' sends held in memory for frequency caps (about 200 bytes each, within "
     "store.retention.freq_window). Past it new ones are dropped and counted "
     "(smppgw_cluster_sends_dropped_total{where=\"remote\"}): caps then count fewer of the "
     "other nodes' sends, never more."},
    {"cluster.buckets", table, "",
     "Names of the JetStream key-value buckets and the send-count and outbox streams; every "
     "node of one gateway must use the same."},
    {"cluster.buckets.optouts", string, "\"smppgw_optouts\"", "Opt-outs and lifts."},
    {"cluster.buckets.consents", string, "\"smppgw_consents\"", "Consent events."},
    {"cluster.buckets.holds", string, "\"smppgw_holds\"", "Review holds and releases."},
    {"cluster.buckets.nodes", string, "\"smppgw_nodes\"", "Node heartbeats."},
    {"cluster.buckets.sends", string, "\"smppgw_sends\"",
     "The stream of frequency-cap counts (subjects <name>.<node>); it keeps "
     "store.retention.freq_window, with cluster.replicas."},
    {"cluster.buckets.outbox", string, "\"smppgw_outbox\"",
     "The work-queue stream of receipts and MOs for accounts whose receivers are bound on "
     "another node (subjects <name>.<account>, one durable consumer per account); it keeps "
     "entries for store.retention.outbox (0: until taken), with cluster.replicas."},
    {"cluster.buckets.routes", string, "\"smppgw_receipt_routes\"",
     "Carrier message id -> the node that submitted it (cluster.receipt_routes); entries "
     "expire after store.retention.carrier_ids."},
    {"cluster.buckets.receipts", string, "\"smppgw_receipts\"",
     "The work-queue stream of carrier receipts forwarded to the node that submitted the "
     "message (subjects <name>.<node>, one durable consumer per node)."},

    // ---- [log] --------------------------------------------------------------------------
    {"log", table, "", "Logging to stdout (journald under systemd); times in UTC."},
    {"log.level", string, "\"info\"", "\"trace\", \"debug\", \"info\", \"warn\" or \"error\"."},
    {"log.format", string, "\"text\"",
     "\"text\", or \"json\": one object per line with time, level, msg and account, carrier, "
     "message_id, remote_address where the event has them."},
});

}  // namespace

std::span<const config_key> config_keys() noexcept {
    return keys;
}

const config_key* find_config_key(std::string_view path) noexcept {
    const auto* it =
        std::find_if(keys.begin(), keys.end(), [&](const config_key& k) { return k.path == path; });
    return it == keys.end() ? nullptr : &*it;
}

std::string config_key_pattern(std::string_view path) {
    std::string out;
    out.reserve(path.size());
    bool in_index = false;
    for (const char c : path) {
        if (c == '[') {
            in_index = true;
            out.push_back(c);
        } else if (c == ']') {
            in_index = false;
            out.push_back(c);
        } else if (!in_index) {
            out.push_back(c);
        }
    }
    return out;
}

namespace {

bool is_section(const config_key& k) {
    return k.type == table || k.type == tables;
}

// Markdown table cells: a '|' would end the cell.
std::string cell(std::string_view text) {
    std::string out;
    for (const char c : text) {
        if (c == '|') {
            out += "\\|";
        } else {
            out.push_back(c);
        }
    }
    return out;
}

// The TOML header that opens the section: "[[policy.mo.brands.texts]]", "[listeners.tls]".
std::string heading_of(const config_key& k) {
    std::string path(k.path);
    for (auto at = path.find("[]"); at != std::string::npos; at = path.find("[]")) {
        path.erase(at, 2);
    }
    return k.type == tables ? fmt::format("[[{}]]", path) : fmt::format("[{}]", path);
}

std::string default_cell(std::string_view value) {
    if (value.empty()) {
        return "—";
    }
    if (value.starts_with("required")) {
        return std::string(value);
    }
    return fmt::format("`{}`", cell(value));
}

}  // namespace

std::string config_reference_markdown() {
    std::string out =
        "# Configuration reference\n"
        "\n"
        "<!-- Generated from gateway/src/config/keys.cpp by `smppgw config reference`; do not\n"
        "     edit by hand. Regenerate with:\n"
        "       build/test/gateway/smppgw config reference > docs/configuration.md\n"
        "     tests/gateway/config_keys_tests.cpp fails while this file differs from the table. "
        "-->\n"
        "\n"
        "smppgw reads one TOML file (`smppgw run --config FILE`; the Debian package uses\n"
        "`/etc/smppgw/smppgw.toml`). This is every key it accepts: any other key, and any bad\n"
        "value, stops `smppgw config check`, startup and reload with the key's path and line.\n"
        "`etc/smppgw.toml` is a commented example that mentions every key.\n"
        "\n"
        "* Durations are strings with a unit: `\"250ms\"`, `\"30s\"`, `\"5m\"`, `\"12h\"`, "
        "`\"7d\"`,\n"
        "  `\"5y\"` (365 days); a bare integer is seconds.\n"
        "* Relative paths are read from the config file's folder.\n"
        "* `[]` in a key stands for every element of an array of tables: `accounts[].rate` is\n"
        "  `rate` inside each `[[accounts]]`.\n"
        "* On SIGHUP (`systemctl reload smppgw`) the daemon checks the new file exactly as\n"
        "  `smppgw config check` does and applies all of it or none of it; keys marked \"Restart\n"
        "  to change\" are refused on reload.\n";
    for (std::size_t i = 0; i < keys.size(); ++i) {
        const auto& k = keys[i];
        if (is_section(k)) {
            out += fmt::format("\n## `{}`\n\n", heading_of(k));
            if (k.path.find("[]") != std::string_view::npos) {
                // Inside an array of tables the header alone does not say whose element it is.
                out += fmt::format("Key path `{}`. ", k.path);
            }
            out += k.description;
            if (k.default_value == "required") {
                out += " Required.";
            }
            out += "\n";
            if (i + 1 < keys.size() && !is_section(keys[i + 1])) {
                out += "\n| key | type | default | meaning |\n|---|---|---|---|\n";
            }
            continue;
        }
        const auto dot = k.path.rfind('.');
        const auto name = dot == std::string_view::npos ? k.path : k.path.substr(dot + 1);
        out += fmt::format("| `{}` | {} | {} | {} |\n", cell(name), cell(k.type),
                           default_cell(k.default_value), cell(k.description));
    }
    return out;
}

}  // namespace smppgw::gateway
