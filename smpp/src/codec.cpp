#include "smppgw/smpp/codec.hpp"

#include <array>
#include <bit>
#include <cstring>
#include <utility>

namespace smppgw::smpp {
namespace {

std::uint32_t load_u32(const std::uint8_t* p) noexcept {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}

void store_u32(std::uint8_t* p, std::uint32_t v) noexcept {
    p[0] = static_cast<std::uint8_t>(v >> 24);
    p[1] = static_cast<std::uint8_t>(v >> 16);
    p[2] = static_cast<std::uint8_t>(v >> 8);
    p[3] = static_cast<std::uint8_t>(v);
}

// Index of the first NUL in [p, p + n), or n. Fields are short (addresses of 10-15 octets), so
// eight octets at a time with the "has a zero byte" bit trick beats both a byte loop and a
// memchr call; the tail goes byte by byte.
std::size_t find_nul(const std::uint8_t* p, std::size_t n) noexcept {
    std::size_t i = 0;
    if constexpr (std::endian::native == std::endian::little) {
        constexpr std::uint64_t ones = 0x0101010101010101ULL;
        constexpr std::uint64_t highs = 0x8080808080808080ULL;
        for (; i + 8 <= n; i += 8) {
            std::uint64_t w = 0;
            std::memcpy(&w, p + i, 8);
            if (const std::uint64_t z = (w - ones) & ~w & highs; z != 0) {
                return i + static_cast<std::size_t>(std::countr_zero(z)) / 8;
            }
        }
    }
    while (i < n && p[i] != 0) {
        ++i;
    }
    return i;
}

// The status to answer when a C-Octet String field is longer than the spec allows. Fields with
// a dedicated code get it; the rest are a parameter-length problem.
command_status status_for_long_field(std::string_view field) noexcept {
    struct entry {
        std::string_view field;
        command_status status;
    };
    static constexpr entry table[] = {
        {"system_id", status::ESME_RINVSYSID},
        {"password", status::ESME_RINVPASWD},
        {"system_type", status::ESME_RINVSYSTYP},
        {"service_type", status::ESME_RINVSERTYP},
        {"source_addr", status::ESME_RINVSRCADR},
        {"destination_addr", status::ESME_RINVDSTADR},
        {"message_id", status::ESME_RINVMSGID},
        {"schedule_delivery_time", status::ESME_RINVSCHED},
        {"validity_period", status::ESME_RINVEXPIRY},
        {"dl_name", status::ESME_RINVDLNAME},
    };
    for (const auto& e : table) {
        if (e.field == field) {
            return e.status;
        }
    }
    return status::ESME_RINVPARLEN;
}

// Reads mandatory fields in wire order. Every scan is bounded by the end of this PDU and by the
// field's own maximum; the first failure sticks and later fields are skipped.
class field_reader {
public:
    field_reader(const std::uint8_t* begin, const std::uint8_t* end) noexcept
        : pos_(begin), end_(end) {}

    void operator()(std::string_view name, std::uint8_t& v) noexcept {
        if (failed()) {
            return;
        }
        if (pos_ == end_) {
            fail(name, errc::truncated_body, status::ESME_RINVCMDLEN);
            return;
        }
        v = *pos_++;
    }

    template <std::size_t Max, std::size_t ReadMax>
    void operator()(std::string_view name, c_string<Max, ReadMax>& v) noexcept {
        if (failed()) {
            return;
        }
        const auto available = static_cast<std::size_t>(end_ - pos_);
        const std::size_t window = available < ReadMax ? available : ReadMax;
        const std::size_t length = find_nul(pos_, window);
        if (length == window) {
            // No terminator inside the field's maximum: too long. No terminator before the PDU
            // ends: the body is cut short.
            if (available >= ReadMax) {
                fail(name, errc::field_too_long, status_for_long_field(name));
            } else {
                fail(name, errc::truncated_body, status::ESME_RINVCMDLEN);
            }
            return;
        }
        v.assign_unchecked(reinterpret_cast<const char*>(pos_), length);
        pos_ += length + 1;
    }

    void operator()(std::string_view name, short_message_t& v) noexcept {
        std::uint8_t sm_length = 0;
        (*this)("sm_length", sm_length);
        if (failed()) {
            return;
        }
        if (static_cast<std::size_t>(end_ - pos_) < sm_length) {
            fail(name, errc::sm_length_overrun, status::ESME_RINVMSGLEN);
            return;
        }
        (void)v.assign(std::span(pos_, sm_length));
        pos_ += sm_length;
    }

    void operator()(std::string_view name, std::vector<dest_address>& v) {
        std::uint8_t count = 0;
        (*this)("number_of_dests", count);
        if (failed()) {
            return;
        }
        if (count == 0 || count > submit_multi::max_destinations) {
            fail(name, errc::value_out_of_range, status::ESME_RINVNUMDESTS);
            return;
        }
        v.resize(count);
        for (auto& d : v) {
            d = dest_address{};  // a list entry reads only the fields of its flag
            (*this)("dest_flag", d.dest_flag);
            if (failed()) {
                return;
            }
            if (d.dest_flag == dest_address::sme_address) {
                (*this)("dest_addr_ton", d.dest_addr_ton);
                (*this)("dest_addr_npi", d.dest_addr_npi);
                (*this)("destination_addr", d.destination_addr);
            } else if (d.dest_flag == dest_address::distribution_list) {
                (*this)("dl_name", d.dl_name);
            } else {
                fail("dest_flag", errc::invalid_dest_flag, status::ESME_RINVDESTFLAG);
            }
            if (failed()) {
                return;
            }
        }
    }

    void operator()(std::string_view, std::vector<unsuccess_sme>& v) {
        std::uint8_t count = 0;
        (*this)("no_unsuccess", count);
        if (failed()) {
            return;
        }
        v.resize(count);
        for (auto& u : v) {
            (*this)("dest_addr_ton", u.dest_addr_ton);
            (*this)("dest_addr_npi", u.dest_addr_npi);
            (*this)("destination_addr", u.destination_addr);
            if (failed()) {
                return;
            }
            if (end_ - pos_ < 4) {
                fail("error_status_code", errc::truncated_body, status::ESME_RINVCMDLEN);
                return;
            }
            u.error_status_code = load_u32(pos_);
            pos_ += 4;
        }
    }

    [[nodiscard]] bool failed() const noexcept { return static_cast<bool>(error_); }
    [[nodiscard]] std::error_code error() const noexcept { return error_; }
    [[nodiscard]] std::string_view field() const noexcept { return field_; }
    [[nodiscard]] command_status status() const noexcept { return status_; }
    [[nodiscard]] const std::uint8_t* position() const noexcept { return pos_; }

private:
    void fail(std::string_view name, errc e, command_status s) noexcept {
        error_ = e;
        field_ = name;
        status_ = s;
    }

    const std::uint8_t* pos_;
    const std::uint8_t* end_;
    std::error_code error_;
    std::string_view field_;
    command_status status_ = status::ESME_ROK;
};

// Body decoders indexed by variant alternative; found by command_id at run time.
using body_decoder = void (*)(field_reader&, pdu_body&);
using body_resetter = void (*)(pdu_body&);

template <typename T>
void decode_body(field_reader& reader, pdu_body& body) {
    // A session decodes the same few PDU types over and over into one pdu; reusing the
    // alternative skips a destroy-construct cycle. Safe because a successful decode writes every
    // field (see the reader), and a failed one is documented as leaving garbage.
    T* b = std::get_if<T>(&body);
    if (b == nullptr) {
        b = &body.emplace<T>();
    }
    T::fields(*b, reader);
}

template <typename T>
void reset_body(pdu_body& body) {
    body.emplace<T>();
}

struct body_entry {
    std::uint32_t id;
    body_decoder decode;
    body_resetter reset;
};

template <std::size_t... I>
constexpr auto make_body_table(std::index_sequence<I...>) {
    return std::array<body_entry, sizeof...(I)>{
        body_entry{static_cast<std::uint32_t>(std::variant_alternative_t<I, pdu_body>::id),
                   &decode_body<std::variant_alternative_t<I, pdu_body>>,
                   &reset_body<std::variant_alternative_t<I, pdu_body>>}...};
}

constexpr auto bodies = make_body_table(std::make_index_sequence<std::variant_size_v<pdu_body>>{});

const body_entry* find_body(std::uint32_t id) noexcept {
    for (const auto& b : bodies) {
        if (b.id == id) {
            return &b;
        }
    }
    return nullptr;
}

// Writes mandatory fields into a buffer already sized for the worst case (see field_bound).
class field_writer {
public:
    field_writer(std::uint8_t* pos, bool strict) noexcept : pos_(pos), strict_(strict) {}

    void operator()(std::string_view, std::uint8_t v) noexcept { *pos_++ = v; }

    template <std::size_t Max, std::size_t ReadMax>
    void operator()(std::string_view name, const c_string<Max, ReadMax>& v) noexcept {
        if (strict_ && Max == 17 && !v.empty() && v.size() != 16 && is_time_field(name)) {
            fail(errc::invalid_time_format);
        }
        if (strict_ && v.size() > c_string<Max, ReadMax>::spec_max_length) {
            fail(errc::value_out_of_range);
        }
        std::memcpy(pos_, v.view().data(), v.size());
        pos_ += v.size();
        *pos_++ = 0;
    }

    void operator()(std::string_view, const short_message_t& v) noexcept {
        if (strict_ && v.size() > short_message_t::spec_max) {
            fail(errc::short_message_too_long);
        }
        *pos_++ = static_cast<std::uint8_t>(v.size());
        std::memcpy(pos_, v.bytes().data(), v.size());
        pos_ += v.size();
    }

    void operator()(std::string_view, const std::vector<dest_address>& v) noexcept {
        if (v.size() > submit_multi::max_destinations || (strict_ && v.empty())) {
            fail(errc::too_many_destinations);
            return;
        }
        *pos_++ = static_cast<std::uint8_t>(v.size());
        for (const auto& d : v) {
            *pos_++ = d.dest_flag;
            if (d.dest_flag == dest_address::sme_address) {
                (*this)("", d.dest_addr_ton);
                (*this)("", d.dest_addr_npi);
                (*this)("destination_addr", d.destination_addr);
            } else if (d.dest_flag == dest_address::distribution_list) {
                (*this)("dl_name", d.dl_name);
            } else {
                fail(errc::invalid_dest_flag);
            }
        }
    }

    void operator()(std::string_view, const std::vector<unsuccess_sme>& v) noexcept {
        if (v.size() > 255) {
            fail(errc::value_out_of_range);
            return;
        }
        *pos_++ = static_cast<std::uint8_t>(v.size());
        for (const auto& u : v) {
            (*this)("", u.dest_addr_ton);
            (*this)("", u.dest_addr_npi);
            (*this)("destination_addr", u.destination_addr);
            store_u32(pos_, u.error_status_code);
            pos_ += 4;
        }
    }

    [[nodiscard]] std::uint8_t* position() const noexcept { return pos_; }
    [[nodiscard]] std::error_code error() const noexcept { return error_; }

private:
    static bool is_time_field(std::string_view name) noexcept {
        return name == "schedule_delivery_time" || name == "validity_period" ||
               name == "final_date";
    }
    void fail(errc e) noexcept {
        if (!error_) {
            error_ = e;
        }
    }

    std::uint8_t* pos_;
    bool strict_;
    std::error_code error_;
};

// The encoded size of mandatory fields, so the encoder sizes its buffer exactly once.
struct field_size {
    std::size_t total = 0;
    void operator()(std::string_view, std::uint8_t) noexcept { total += 1; }
    template <std::size_t Max, std::size_t ReadMax>
    void operator()(std::string_view, const c_string<Max, ReadMax>& v) noexcept {
        total += v.size() + 1;
    }
    void operator()(std::string_view, const short_message_t& v) noexcept { total += 1 + v.size(); }
    void operator()(std::string_view, const std::vector<dest_address>& v) noexcept {
        total += 1;
        for (const auto& d : v) {
            total += d.dest_flag == dest_address::distribution_list
                         ? 1 + d.dl_name.size() + 1
                         : 1 + 2 + d.destination_addr.size() + 1;
        }
    }
    void operator()(std::string_view, const std::vector<unsuccess_sme>& v) noexcept {
        total += 1;
        for (const auto& u : v) {
            total += 2 + u.destination_addr.size() + 1 + 4;
        }
    }
};

bool has_content(const pdu_body& body) noexcept {
    return std::visit(
        [](const auto& b) {
            if constexpr (requires { b.short_message; }) {
                return !b.short_message.empty();
            } else {
                return false;
            }
        },
        body);
}

}  // namespace

std::size_t peek_command_length(std::span<const std::uint8_t> in) noexcept {
    return in.size() < 4 ? 0 : load_u32(in.data());
}

decode_result decode(std::span<const std::uint8_t> in, pdu& out, const decode_options& options) {
    decode_result r;
    if (in.size() < 4) {
        return r;
    }
    r.command_length = load_u32(in.data());
    if (r.command_length < header_size) {
        r.error = errc::length_too_small;
        r.response_status = status::ESME_RINVCMDLEN;
        return r;
    }
    if (r.command_length > options.max_command_length) {
        r.error = errc::length_too_large;
        r.response_status = status::ESME_RINVCMDLEN;
        return r;
    }
    if (in.size() < r.command_length) {
        return r;
    }
    const std::uint8_t* begin = in.data();
    const std::uint8_t* end = begin + r.command_length;
    r.command_id = load_u32(begin + 4);
    r.command_status = load_u32(begin + 8);
    r.sequence_number = load_u32(begin + 12);
    r.consumed = r.command_length;

    const body_entry* entry = find_body(r.command_id);
    if (entry == nullptr) {
        r.error = errc::unknown_command_id;
        r.response_status = status::ESME_RINVCMDID;
        return r;
    }

    out.command_status = r.command_status;
    out.sequence_number = r.sequence_number;
    out.omit_body = false;
    out.tlvs.clear();

    const bool response = (r.command_id & response_bit) != 0;
    const std::uint8_t* body = begin + header_size;
    if (response && body == end) {
        // Header-only response: the spec's form for errors, and tolerated for success too.
        entry->reset(out.body);
        out.omit_body = true;
        return r;
    }
    field_reader reader(body, end);
    entry->decode(reader, out.body);
    if (reader.failed()) {
        if (response && r.command_status != status::ESME_ROK) {
            // §1.4: an error response's body is informational; a broken one is dropped.
            entry->reset(out.body);
            out.omit_body = true;
            return r;
        }
        r.error = reader.error();
        r.field = reader.field();
        r.response_status = reader.status();
        return r;
    }

    const auto tail = std::span(reader.position(), end);
    if (tail.size() >= 4) {
        if (auto ec = out.tlvs.assign_wire(tail)) {
            r.error = ec;
            r.field = "tlv";
            r.response_status = status::ESME_RINVOPTPARSTREAM;
            return r;
        }
    }
    // A tail shorter than a TLV header is tolerated and dropped (SMPP.md §1.3 rule 6).
    if (response && reader.position() == body && out.tlvs.empty()) {
        // A response without fields whose only body was such a tail is a header-only response,
        // the same PDU as when it arrives with no body at all (found by fuzz_pdu_decoder).
        out.omit_body = true;
    }
    return r;
}

std::error_code encode(const pdu& p, std::vector<std::uint8_t>& out, const encode_options& options) {
    const auto id = static_cast<std::uint32_t>(p.command_id());
    const bool response = (id & response_bit) != 0;

    if (options.strict) {
        // A response echoes whatever sequence the peer chose (0x80000000 included, which
        // lenient reading accepts); only our own requests must be in 1..0x7FFFFFFF.
        if (!response && (p.sequence_number == 0 || p.sequence_number > 0x7FFFFFFFU)) {
            return errc::sequence_out_of_range;
        }
        if (!response && p.command_status != status::ESME_ROK) {
            return errc::status_on_request;
        }
        if (has_content(p.body) && p.tlvs.contains(tlv::message_payload::tag)) {
            return errc::payload_conflict;
        }
    }

    const bool write_body = !(p.omit_body && response);
    const std::size_t tlv_bytes = write_body && options.include_tlvs ? p.tlvs.wire().size() : 0;
    const std::size_t start = out.size();
    std::uint8_t* head = nullptr;
    std::error_code error;
    std::uint8_t* pos = nullptr;
    std::visit(
        [&](const auto& b) {
            using body_type = std::decay_t<decltype(b)>;
            field_size size;
            if (write_body) {
                body_type::fields(b, size);
            }
            out.resize(start + header_size + size.total + tlv_bytes);
            head = out.data() + start;
            field_writer writer(head + header_size, options.strict);
            if (write_body) {
                body_type::fields(b, writer);
            }
            error = writer.error();
            pos = writer.position();
        },
        p.body);
    if (error) {
        out.resize(start);
        return error;
    }
    if (tlv_bytes != 0) {
        std::memcpy(pos, p.tlvs.wire().data(), tlv_bytes);
        pos += tlv_bytes;
    }
    const auto length = static_cast<std::size_t>(pos - head);
    store_u32(head, static_cast<std::uint32_t>(length));
    store_u32(head + 4, id);
    store_u32(head + 8, p.command_status);
    store_u32(head + 12, p.sequence_number);
    out.resize(start + length);
    return {};
}

bool emplace_body(command_id id, pdu_body& body) {
    const body_entry* entry = find_body(static_cast<std::uint32_t>(id));
    if (entry == nullptr) {
        return false;
    }
    entry->reset(body);
    return true;
}

pdu make_response(const pdu& request, command_status status) {
    pdu r;
    r.command_status = status;
    r.sequence_number = request.sequence_number;
    const command_id id = response_for(static_cast<std::uint32_t>(request.command_id()));
    find_body(static_cast<std::uint32_t>(id))->reset(r.body);
    // The body goes with errors too (empty C-strings): 3.4 allows leaving it out, but peers
    // such as libsmpp34 cannot decode a bind_*_resp without one and Kannel warns about each
    // such submit_sm_resp. Sending it is what SMSCs commonly do.
    r.omit_body = false;
    return r;
}

pdu make_generic_nack(std::uint32_t sequence_number, command_status status) {
    pdu r;
    r.command_status = status;
    r.sequence_number = sequence_number;
    r.body = generic_nack{};
    return r;
}

}  // namespace smppgw::smpp
