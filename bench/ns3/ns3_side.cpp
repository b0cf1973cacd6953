// The ns-3 half of compare_ns3 (see compare_ns3.cpp), compiled as C++17.
#include "ns3_side.hpp"

#include <algorithm>
#include <cstdint>
#include <memory>

#include <ns3/applications-module.h>
#include <ns3/core-module.h>
#include <ns3/internet-module.h>
#include <ns3/network-module.h>
#include <ns3/point-to-point-module.h>
#include <ns3/traffic-control-module.h>

namespace ns3_side {
namespace {

// The client: connects at 0, sends `request` bytes (request/response) or `bytes` (bulk),
// and in request/response mode waits for `response` bytes back.
struct Ns3Run {
    Case c;
    double done_s = -1;
    uint64_t received = 0;  // at whoever receives the measured message
    uint64_t server_received = 0;
    ns3::Ptr<ns3::Socket> client, server_conn;
    uint64_t to_send = 0;  // bytes the current sender still has to queue
    ns3::Ptr<ns3::Socket> sender;

    void pump(ns3::Ptr<ns3::Socket> s, uint32_t) {
        if (s != sender) return;
        while (to_send > 0) {
            const uint32_t chunk = static_cast<uint32_t>(std::min<uint64_t>(to_send, s->GetTxAvailable()));
            if (chunk == 0) return;
            const int sent = s->Send(ns3::Create<ns3::Packet>(std::min<uint32_t>(chunk, 1 << 20)));
            if (sent <= 0) return;
            to_send -= static_cast<uint64_t>(sent);
        }
    }
    void start_sending(ns3::Ptr<ns3::Socket> s, uint64_t bytes) {
        sender = s;
        to_send = bytes;
        pump(s, s->GetTxAvailable());
    }
};

}  // namespace

double run_ns3(const Case& c) {
    using namespace ns3;
    Config::SetDefault("ns3::TcpL4Protocol::SocketType", TypeIdValue(TcpNewReno::GetTypeId()));
    Config::SetDefault("ns3::TcpSocket::SegmentSize", UintegerValue(static_cast<uint32_t>(segment)));
    Config::SetDefault("ns3::TcpSocket::InitialCwnd", UintegerValue(10));
    Config::SetDefault("ns3::TcpSocket::DelAckCount", UintegerValue(c.delayed_acks ? 2 : 1));
    // The sender's buffer bounds the bytes in flight: ns-3's per-ACK work grows with them
    // (about 70,000 segments in flight for 100 MB otherwise, for minutes per run).
    Config::SetDefault("ns3::TcpSocket::SndBufSize", UintegerValue(static_cast<uint32_t>(send_buffer)));
    Config::SetDefault("ns3::TcpSocket::RcvBufSize", UintegerValue(1u << 30));
    Config::SetDefault("ns3::TcpSocketBase::Sack", BooleanValue(true));

    NodeContainer nodes;
    nodes.Create(2);
    PointToPointHelper p2p;
    p2p.SetDeviceAttribute("DataRate", DataRateValue(DataRate(static_cast<uint64_t>(c.gbps * 1e9))));
    p2p.SetChannelAttribute("Delay", TimeValue(Seconds(c.delay_s)));
    p2p.SetQueue("ns3::DropTailQueue<Packet>", "MaxSize", QueueSizeValue(QueueSize("10000000p")));
    NetDeviceContainer devices = p2p.Install(nodes);
    InternetStackHelper stack;
    stack.Install(nodes);
    Ipv4AddressHelper address;
    address.SetBase("10.1.1.0", "255.255.255.0");
    Ipv4InterfaceContainer ifs = address.Assign(devices);
    TrafficControlHelper tch;
    tch.Uninstall(devices);  // no FqCoDel: the device queue alone, which never drops

    auto run = std::make_shared<Ns3Run>();
    run->c = c;
    const uint16_t port = 5000;
    Ptr<Socket> listener = Socket::CreateSocket(nodes.Get(1), TcpSocketFactory::GetTypeId());
    listener->Bind(InetSocketAddress(Ipv4Address::GetAny(), port));
    listener->Listen();
    // ns-3 3.37 builds a Callback from any functor (std::function underneath).
    listener->SetAcceptCallback(
        MakeNullCallback<bool, Ptr<Socket>, const Address&>(),
        Callback<void, Ptr<Socket>, const Address&>([run](Ptr<Socket> s, const Address&) {
            run->server_conn = s;
            s->SetSendCallback(Callback<void, Ptr<Socket>, uint32_t>(
                [run](Ptr<Socket> sock, uint32_t n) { run->pump(sock, n); }));
            s->SetRecvCallback(Callback<void, Ptr<Socket>>([run](Ptr<Socket> sock) {
                while (Ptr<Packet> p = sock->Recv()) {
                    if (p->GetSize() == 0) break;
                    run->server_received += p->GetSize();
                }
                const double expected = run->c.request_response ? request_bytes : run->c.bytes;
                if (!run->c.request_response) {
                    if (run->done_s < 0 && static_cast<double>(run->server_received) >= expected) {
                        run->done_s = Simulator::Now().GetSeconds();
                        Simulator::Stop();
                    }
                } else if (static_cast<double>(run->server_received) >= expected && run->sender != sock) {
                    run->start_sending(sock, static_cast<uint64_t>(run->c.bytes));
                }
            }));
        }));

    Ptr<Socket> client = Socket::CreateSocket(nodes.Get(0), TcpSocketFactory::GetTypeId());
    run->client = client;
    client->SetSendCallback(
        Callback<void, Ptr<Socket>, uint32_t>([run](Ptr<Socket> sock, uint32_t n) { run->pump(sock, n); }));
    client->SetRecvCallback(Callback<void, Ptr<Socket>>([run](Ptr<Socket> sock) {
        while (Ptr<Packet> p = sock->Recv()) {
            if (p->GetSize() == 0) break;
            run->received += p->GetSize();
        }
        if (run->done_s < 0 && static_cast<double>(run->received) >= run->c.bytes) {
            run->done_s = Simulator::Now().GetSeconds();
            Simulator::Stop();
        }
    }));
    client->SetConnectCallback(Callback<void, Ptr<Socket>>([run](Ptr<Socket> sock) {
                                   const double first = run->c.request_response ? request_bytes : run->c.bytes;
                                   run->start_sending(sock, static_cast<uint64_t>(first));
                               }),
                               MakeNullCallback<void, Ptr<Socket>>());
    client->Bind();
    client->Connect(InetSocketAddress(ifs.GetAddress(1), port));
    Simulator::Stop(Seconds(3600));
    Simulator::Run();
    Simulator::Destroy();
    return run->done_s;
}


}  // namespace ns3_side
