// COMPLIANCE.md's values as configuration defaults.
#include "smppgw/policy/config.hpp"

namespace smppgw::policy {
namespace {

std::array<day_window, 7> every_day(day_window w) {
    std::array<day_window, 7> days{};
    days.fill(w);
    return days;
}

// Sunday = 0, Saturday = 6.
std::array<day_window, 7> weekdays_weekends(day_window weekday, day_window weekend) {
    std::array<day_window, 7> days = every_day(weekday);
    days[0] = weekend;
    days[6] = weekend;
    return days;
}

}  // namespace

std::vector<rule_set_config> default_rule_sets() {
    const day_window w8_21 = hours_window(8, 0, 21, 0);
    const day_window w8_20 = hours_window(8, 0, 20, 0);
    std::vector<rule_set_config> sets;
    // US federal, 47 CFR 64.1200(c)(1).
    sets.push_back({"us_federal", every_day(w8_21), {}, closed_day});
    // Florida, Oklahoma, Maryland (their frequency caps live in frequency_config).
    sets.push_back({"us_fl", every_day(w8_20), {}, closed_day});
    sets.push_back({"us_ok", every_day(w8_20), {}, closed_day});
    sets.push_back({"us_md", every_day(w8_20), {}, closed_day});
    sets.push_back({"us_wa", every_day(w8_20), {}, closed_day});
    sets.push_back({"us_ct", every_day(hours_window(9, 0, 20, 0)), {}, closed_day});
    // Alabama, Louisiana: no Sundays or state holidays.
    auto al = every_day(w8_20);
    al[0] = closed_day;
    sets.push_back({"us_al", al, {"US-AL"}, closed_day});
    sets.push_back({"us_la", al, {"US-LA"}, closed_day});
    // Texas: 09:00–21:00, Sunday 12:00–21:00.
    auto tx = every_day(hours_window(9, 0, 21, 0));
    tx[0] = hours_window(12, 0, 21, 0);
    sets.push_back({"us_tx", tx, {}, closed_day});
    // Canada (CRTC telemarketing hours, applied by choice).
    sets.push_back({"canada",
                    weekdays_weekends(hours_window(9, 0, 21, 30), hours_window(10, 0, 18, 0)),
                    {},
                    closed_day});
    // France: no Sundays or public holidays (FR-AM: the Alsace-Moselle extras, applied
    // nationwide because a number does not say which department its user is in).
    auto fr = every_day(w8_20);
    fr[0] = closed_day;
    sets.push_back({"france", fr, {"FR", "FR-AM"}, closed_day});
    // UK practice: 08:00–21:00, weekends from 09:00.
    sets.push_back({"uk", weekdays_weekends(w8_21, hours_window(9, 0, 21, 0)), {}, closed_day});
    // India (non-transactional).
    sets.push_back({"india", every_day(hours_window(9, 0, 21, 0)), {}, closed_day});
    return sets;
}

std::vector<region_rules_config> default_region_rules() {
    return {
        {"US", {"us_federal"}},
        {"US-FL", {"us_federal", "us_fl"}},
        {"US-OK", {"us_federal", "us_ok"}},
        {"US-MD", {"us_federal", "us_md"}},
        {"US-WA", {"us_federal", "us_wa"}},
        {"US-CT", {"us_federal", "us_ct"}},
        {"US-AL", {"us_federal", "us_al"}},
        {"US-LA", {"us_federal", "us_la"}},
        {"US-TX", {"us_federal", "us_tx"}},
        {"CA", {"canada"}},
        {"FR", {"france"}},
        {"GB", {"uk"}},
        {"IN", {"india"}},
        // Everything else (other NANP countries, unknown numbers): the US federal window, the
        // most common baseline. Tighten per region as needed.
        {"*", {"us_federal"}},
    };
}

std::vector<keyword_language> default_keyword_languages() {
    std::vector<keyword_language> langs;
    keyword_language en;
    en.language = "en";
    en.opt_out = {"STOP",   "UNSUBSCRIBE", "UNSUB",   "CANCEL",  "END",    "QUIT",
                  "REVOKE", "OPTOUT",      "OPT OUT", "OPT-OUT", "REMOVE", "TD"};
    en.opt_out_all = {"STOPALL", "STOP ALL"};
    en.opt_in = {"START", "UNSTOP", "YES"};
    en.confirm = {"YES"};
    en.help = {"HELP", "INFO"};
    en.phrases = {"stop texting",     "stop texting me", "stop messaging", "stop sending",
                  "stop messages",    "remove me",       "take me off",    "no more texts",
                  "no more messages", "do not text",     "dont text",      "unsubscribe",
                  "unsubscribe me",   "opt out",         "optout",         "leave me alone"};
    en.review_words = {"stop", "stopall", "cancel", "quit", "revoke", "remove"};
    // One edit from STOP, QUIT, CANCEL, REMOVE, REVOKE, UNSUB or a non-English keyword, and
    // ordinary words people send as a whole reply.
    en.fuzzy_exceptions = {"shop", "step",  "stow",   "slop",   "atop",  "stoa", "quite", "quiz",
                           "suit", "quilt", "cancer", "arrest", "also",  "alot", "auto",  "pure",
                           "care", "dare",  "bare",   "fare",   "rare",  "mare", "park",  "part",
                           "page", "pace",  "pore",   "pave",   "pane",  "said", "sail",  "hair",
                           "fair", "pair",  "stair",  "sari",   "remote"};
    langs.push_back(std::move(en));

    keyword_language fr;
    fr.language = "fr";
    fr.opt_out = {"ARRET"};
    fr.help = {"AIDE"};
    fr.phrases = {"arrete",        "arreter",     "arretez",       "desabonner",
                  "me desabonner", "desinscrire", "me desinscrire"};
    fr.review_words = {"arret"};
    langs.push_back(std::move(fr));

    keyword_language es;
    es.language = "es";
    es.opt_out = {"ALTO", "BAJA"};
    es.help = {"AYUDA"};
    es.phrases = {"no mas", "no mas mensajes", "dar de baja", "darme de baja"};
    // ALTA is the Spanish opt-in word; the others are common words one edit from ALTO/BAJA.
    es.fuzzy_exceptions = {"alta", "algo", "bajo", "caja", "bala", "baba", "rara"};
    langs.push_back(std::move(es));

    keyword_language pt;
    pt.language = "pt";
    pt.opt_out = {"PARE", "SAIR"};
    pt.phrases = {"parar", "quero sair"};
    pt.review_words = {"sair", "pare"};
    // "para" stays a typo of PARE: as a whole reply it is Portuguese for "stop!".
    langs.push_back(std::move(pt));
    return langs;
}

std::vector<reply_texts> default_reply_texts() {
    return {
        {"en",
         "{brand}: You are unsubscribed and will receive no more messages. Reply START to "
         "resubscribe.",
         "You are unsubscribed from all brands on this number and will receive no more "
         "messages. Reply START to resubscribe.",
         "{brand}: You are resubscribed. Reply HELP for help, STOP to opt out.",
         "{brand}: Thanks, your subscription is confirmed. Msg&data rates may apply. Reply HELP "
         "for help, STOP to opt out.",
         "{brand}: Reply STOP to opt out. Msg&data rates may apply."},
        {"fr",
         "{brand} : Vous êtes désabonné et ne recevrez plus de messages. Répondez START pour "
         "vous réabonner.",
         "Vous êtes désabonné de toutes les marques sur ce numéro et ne recevrez plus de "
         "messages. Répondez START pour vous réabonner.",
         "{brand} : Vous êtes réabonné. Répondez AIDE pour de l'aide, ARRET pour vous "
         "désabonner.",
         "{brand} : Merci, votre abonnement est confirmé. Des frais de messagerie peuvent "
         "s'appliquer. Répondez AIDE pour de l'aide, ARRET pour vous désabonner.",
         "{brand} : Répondez ARRET pour vous désabonner. Des frais de messagerie peuvent "
         "s'appliquer."},
        {"es",
         "{brand}: Se ha dado de baja y no recibirá más mensajes. Responda START para volver a "
         "suscribirse.",
         "Se ha dado de baja de todas las marcas en este número y no recibirá más mensajes. "
         "Responda START para volver a suscribirse.",
         "{brand}: Se ha vuelto a suscribir. Responda AYUDA para ayuda, BAJA para darse de baja.",
         "{brand}: Gracias, su suscripción está confirmada. Pueden aplicarse tarifas. Responda "
         "AYUDA para ayuda, BAJA para darse de baja.",
         "{brand}: Responda BAJA para darse de baja. Pueden aplicarse tarifas de mensajes."},
        {"pt",
         "{brand}: Você foi descadastrado e não receberá mais mensagens. Responda START para "
         "voltar a receber.",
         "Você foi descadastrado de todas as marcas neste número e não receberá mais "
         "mensagens. Responda START para voltar a receber.",
         "{brand}: Seu cadastro foi reativado. Responda PARE para sair.",
         "{brand}: Obrigado, sua inscrição está confirmada. Responda PARE para sair.",
         "{brand}: Responda PARE para sair. Tarifas de mensagens podem ser aplicadas."},
    };
}

}  // namespace smppgw::policy
