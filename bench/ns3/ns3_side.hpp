// The ns-3 half of compare_ns3, compiled as C++17: ns-3 3.37's headers are not valid C++20.
#pragma once

namespace ns3_side {

constexpr double segment = 1448;  // payload bytes
constexpr double request_bytes = 1000;
constexpr double send_buffer = 4194304;  // bytes of payload in flight at most (s2sim: max_window)

struct Case {
    double bytes;   // bulk: the transfer; request/response: the response
    double delay_s; // one way
    double gbps;
    bool delayed_acks;
    bool request_response;
};

/// Seconds from connect() to the measured message's last byte, in ns-3.
double run_ns3(const Case& c);

}  // namespace ns3_side
