// Boost.Beast compiled once (BOOST_BEAST_SEPARATE_COMPILATION), like Asio in smpp/src/asio.cpp.
#include <boost/beast/src.hpp>
