#pragma once
// Route groups of the admin API, one file each; admin_api.cpp registers them all.

namespace smppgw::gateway {

class admin_router;
class core;

void register_optout_routes(admin_router& router, core& c);   // admin_optouts.cpp
void register_consent_routes(admin_router& router, core& c);  // admin_consents.cpp
void register_record_routes(admin_router& router, core& c);   // admin_records.cpp
void register_ops_routes(admin_router& router, core& c);      // admin_ops.cpp
void register_stats_routes(admin_router& router, core& c);    // admin_stats.cpp
void register_hold_routes(admin_router& router, core& c);     // admin_holds.cpp
void register_receipt_routes(admin_router& router, core& c);  // admin_receipts.cpp

}  // namespace smppgw::gateway
