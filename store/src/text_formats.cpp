#include "text_formats.hpp"

#include <charconv>
#include <istream>


namespace smppgw::store::detail {

bool csv_reader::read_line(std::string& line) {
    if (!std::getline(in_, line)) {
        eof_ = true;
        return false;
    }
    ++lines_;
    if (!line.empty() && line.back() == '\r') {
        line.pop_back();
    }
    return true;
}

bool csv_reader::next(std::vector<std::string>& fields) {
    error_.clear();
    blank_ = false;
    if (!read_line(line_)) {
        return false;
    }
    record_line_ = lines_;
    fields.clear();
    if (line_.empty()) {
        blank_ = true;
        return true;
    }
    fields.emplace_back();
    bool quoted = false;       // inside a quoted field
    bool after_quote = false;  // a quoted field just closed: only a comma may follow
    std::size_t i = 0;
    for (;;) {
        if (i == line_.size()) {
            if (!quoted) {
                return true;
            }
            // A quoted field spans lines: keep the line break and read on.
            fields.back().push_back('\n');
            if (!read_line(line_)) {
                error_ = "unterminated quoted field at end of input";
                return false;
            }
            i = 0;
            continue;
        }
        const char c = line_[i++];
        if (quoted) {
            if (c == '"') {
                if (i < line_.size() && line_[i] == '"') {
                    fields.back().push_back('"');
                    ++i;
                } else {
                    quoted = false;
                    after_quote = true;
                }
            } else {
                fields.back().push_back(c);
            }
            continue;
        }
        if (c == ',') {
            fields.emplace_back();
            after_quote = false;
            continue;
        }
        if (after_quote) {
            error_ = "unexpected character after a closing quote";
            return false;
        }
        if (c == '"' && fields.back().empty()) {
            quoted = true;
            continue;
        }
        if (c == '"') {
            error_ = "quote inside an unquoted field";
            return false;
        }
        fields.back().push_back(c);
    }
}

void write_csv_field(std::string& out, std::string_view field) {
    const bool quote = field.find_first_of(",\"\r\n") != std::string_view::npos ||
                       (!field.empty() && (field.front() == ' ' || field.back() == ' '));
    if (!quote) {
        out.append(field);
        return;
    }
    out.push_back('"');
    for (const char c : field) {
        if (c == '"') {
            out.push_back('"');
        }
        out.push_back(c);
    }
    out.push_back('"');
}

}  // namespace smppgw::store::detail
