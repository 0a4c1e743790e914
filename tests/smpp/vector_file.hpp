#pragma once
// Reads tests/smpp/data/vectors.txt: one comment line with the decoded fields, then `name: hex`.

#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "smppgw/smpp/pdu_json.hpp"

namespace smppgw::test {

struct pdu_vector {
    std::string name;
    std::string comment;  // the line above, without "# "
    std::vector<std::uint8_t> bytes;

    [[nodiscard]] bool negative() const { return name.starts_with("NEGATIVE_"); }
};

inline std::vector<pdu_vector> load_vectors() {
    const std::string path = std::string(SMPPGW_SOURCE_DIR) + "/tests/smpp/data/vectors.txt";
    std::ifstream in(path);
    if (!in) {
        throw std::runtime_error("cannot open " + path);
    }
    std::vector<pdu_vector> out;
    std::string line;
    std::string last_comment;
    while (std::getline(in, line)) {
        if (line.starts_with("# ")) {
            last_comment = line.substr(2);
            continue;
        }
        const auto colon = line.find(": ");
        if (line.empty() || colon == std::string::npos) {
            continue;
        }
        pdu_vector v;
        v.name = line.substr(0, colon);
        v.comment = last_comment;
        if (!smpp::from_hex(line.substr(colon + 2), v.bytes)) {
            throw std::runtime_error("bad hex in vector " + v.name);
        }
        out.push_back(std::move(v));
    }
    return out;
}

}  // namespace smppgw::test
