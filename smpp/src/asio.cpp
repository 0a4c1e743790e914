// Boost.Asio and its SSL support compiled once for the whole project
// (BOOST_ASIO_SEPARATE_COMPILATION): every other file only includes declarations, which keeps
// builds of the daemon, tools and tests fast.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
