// Boost.URL compiled once: Debian ships its headers with Boost, not a built library.
#include <boost/url/src.hpp>
