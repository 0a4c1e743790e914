// smppgw-bench: the SMPP load generator. A thin main over loadgen::run_load; see --help.

#include "common/cli.hpp"
#include "loadgen/gen_options.hpp"
#include "loadgen/run.hpp"

int main(int argc, char** argv) {
    using namespace smppgw::bench;
    return run_tool("smppgw-bench", [&] {
        const auto config = loadgen::parse_gen_options(argc, argv);
        if (!config) {
            return 0;
        }
        return loadgen::run_load(*config);
    });
}
