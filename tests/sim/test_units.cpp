#include "sim/units.hpp"

#include <catch2/catch.hpp>

#include "sim/error.hpp"

using namespace s2sim::units;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;

namespace {

/// The message parse(text) throws, or "" when it does not throw.
template <class Parse>
std::string error_of(Parse parse, std::string_view text) {
    try {
        (void)parse(text);
    } catch (const s2sim::Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("units: every time unit", "[sim][units]") {
    CHECK(parse_time("250ns") == Approx(250e-9).epsilon(1e-15));
    CHECK(parse_time("20us") == Approx(20e-6).epsilon(1e-15));
    CHECK(parse_time("20\xC2\xB5s") == Approx(20e-6).epsilon(1e-15));  // micro sign
    CHECK(parse_time("20\xCE\xBCs") == Approx(20e-6).epsilon(1e-15));  // greek mu
    CHECK(parse_time("5ms") == Approx(0.005).epsilon(1e-15));
    CHECK(parse_time("1.5s") == 1.5);
    CHECK(parse_time("2min") == 120.0);
    CHECK(parse_time("1h") == 3600.0);
    CHECK(parse_time("1d") == 86400.0);
    CHECK(parse_time("0s") == 0.0);
}

TEST_CASE("units: number forms and blanks", "[sim][units]") {
    CHECK(parse_time("5 ms") == Approx(0.005).epsilon(1e-15));
    CHECK(parse_time("  5ms\t") == Approx(0.005).epsilon(1e-15));
    CHECK(parse_time(".5s") == 0.5);
    CHECK(parse_time("5.s") == 5.0);
    CHECK(parse_time("+5s") == 5.0);
    CHECK(parse_time("1e3ms") == Approx(1.0).epsilon(1e-15));
    CHECK(parse_time("1E-3s") == Approx(1e-3).epsilon(1e-15));
    CHECK(parse_time("2.5e+2us") == Approx(250e-6).epsilon(1e-15));
    CHECK(parse_time("-0s") == 0.0);
    CHECK_FALSE(std::signbit(parse_time("-0s")));
}

TEST_CASE("units: every size unit", "[sim][units]") {
    CHECK(parse_size("512B") == 512.0);
    CHECK(parse_size("2KB") == 2000.0);
    CHECK(parse_size("2kB") == 2000.0);
    CHECK(parse_size("2KiB") == 2048.0);
    CHECK(parse_size("4MB") == 4e6);
    CHECK(parse_size("1MiB") == 1048576.0);
    CHECK(parse_size("3GB") == 3e9);
    CHECK(parse_size("1GiB") == 1073741824.0);
    CHECK(parse_size("1TB") == 1e12);
    CHECK(parse_size("1TiB") == 1099511627776.0);
}

TEST_CASE("units: every bandwidth unit", "[sim][units]") {
    // Bits per second become bytes per second.
    CHECK(parse_bandwidth("800bps") == 100.0);
    CHECK(parse_bandwidth("1kbps") == 125.0);
    CHECK(parse_bandwidth("1Kbps") == 125.0);
    CHECK(parse_bandwidth("100Mbps") == 12.5e6);
    CHECK(parse_bandwidth("10Gbps") == 1.25e9);
    CHECK(parse_bandwidth("1Tbps") == 1.25e11);
    CHECK(parse_bandwidth("100B/s") == 100.0);
    CHECK(parse_bandwidth("2KB/s") == 2000.0);
    CHECK(parse_bandwidth("2kB/s") == 2000.0);
    CHECK(parse_bandwidth("1KiB/s") == 1024.0);
    CHECK(parse_bandwidth("500MB/s") == 5e8);
    CHECK(parse_bandwidth("1MiB/s") == 1048576.0);
    CHECK(parse_bandwidth("1GB/s") == 1e9);
    CHECK(parse_bandwidth("1GiB/s") == 1073741824.0);
    CHECK(parse_bandwidth("1TB/s") == 1e12);
    CHECK(parse_bandwidth("1TiB/s") == 1099511627776.0);
}

TEST_CASE("units: every distance, rate and speed unit", "[sim][units]") {
    CHECK(parse_distance("300m") == 300.0);
    CHECK(parse_distance("1200km") == 1.2e6);
    CHECK(parse_distance("0.2km") == Approx(200.0).epsilon(1e-15));

    CHECK(parse_rate("800/s") == 800.0);
    CHECK(parse_rate("3000/min") == Approx(50.0).epsilon(1e-15));
    CHECK(parse_rate("1e6/h") == Approx(1e6 / 3600).epsilon(1e-15));
    CHECK(parse_rate("5/ms") == 5000.0);
    CHECK(parse_rate("2/us") == 2e6);
    CHECK(parse_rate("2/\xC2\xB5s") == 2e6);
    CHECK(parse_rate("1/ns") == 1e9);
    CHECK(parse_rate("86400/d") == Approx(1.0).epsilon(1e-15));
    CHECK(parse_rate("800 /s") == 800.0);

    CHECK(parse_speed("200000km/s") == 2e8);
    CHECK(parse_speed("2e8m/s") == 2e8);
}

TEST_CASE("units: number without unit", "[sim][units][errors]") {
    CHECK_THAT(error_of(parse_time, "5"),
               Equals("number without unit '5' (expected a time such as '5ms')"));
    CHECK_THAT(error_of(parse_size, "512"),
               Equals("number without unit '512' (expected a size such as '4KB')"));
    CHECK_THAT(error_of(parse_bandwidth, "10"),
               Equals("number without unit '10' (expected a bandwidth such as '10Gbps')"));
    CHECK_THAT(error_of(parse_distance, "3"),
               Equals("number without unit '3' (expected a distance such as '300m')"));
    CHECK_THAT(error_of(parse_rate, "800"),
               Equals("number without unit '800' (expected a rate such as '800/s')"));
    CHECK_THAT(error_of(parse_speed, "2e8"),
               Equals("number without unit '2e8' (expected a speed such as '200000km/s')"));
}

TEST_CASE("units: unknown unit lists the choices", "[sim][units][errors]") {
    CHECK_THAT(error_of(parse_time, "5mss"),
               Equals("unknown unit 'mss' in '5mss' (expected: ns, us, \xC2\xB5s, ms, s, min, "
                      "h, d)"));
    CHECK_THAT(error_of(parse_size, "2kb"),
               Equals("unknown unit 'kb' in '2kb' (expected: B, KB, kB, KiB, MB, MiB, GB, GiB, "
                      "TB, TiB)"));
    CHECK_THAT(error_of(parse_bandwidth, "10Gb"), Contains("unknown unit 'Gb' in '10Gb'"));
    CHECK_THAT(error_of(parse_bandwidth, "10Gb"), Contains("Gbps"));
    CHECK_THAT(error_of(parse_distance, "3mi"),
               Equals("unknown unit 'mi' in '3mi' (expected: m, km)"));
    CHECK_THAT(error_of(parse_rate, "800/sec"),
               Equals("unknown unit '/sec' in '800/sec' (expected: /ns, /us, /\xC2\xB5s, /ms, "
                      "/s, /min, /h, /d)"));
    CHECK_THAT(error_of(parse_speed, "3km/h"),
               Equals("unknown unit 'km/h' in '3km/h' (expected: m/s, km/s)"));
    // A unit of another kind is unknown here.
    CHECK_THAT(error_of(parse_time, "5KB"), Contains("unknown unit 'KB' in '5KB'"));
    CHECK_THAT(error_of(parse_time, "5 m s"), Contains("unknown unit 'm s'"));
}

TEST_CASE("units: negative values are rejected", "[sim][units][errors]") {
    CHECK_THAT(error_of(parse_time, "-5ms"), Equals("negative time '-5ms'"));
    CHECK_THAT(error_of(parse_size, "-1KB"), Equals("negative size '-1KB'"));
    CHECK_THAT(error_of(parse_bandwidth, "-1Gbps"), Equals("negative bandwidth '-1Gbps'"));
    CHECK_THAT(error_of(parse_distance, "-1km"), Equals("negative distance '-1km'"));
    CHECK_THAT(error_of(parse_rate, "-1/s"), Equals("negative rate '-1/s'"));
    CHECK_THAT(error_of(parse_speed, "-1m/s"), Equals("negative speed '-1m/s'"));
}

TEST_CASE("units: empty, malformed and out-of-range text", "[sim][units][errors]") {
    CHECK_THAT(error_of(parse_time, ""), Equals("empty time '' (expected a time such as '5ms')"));
    CHECK_THAT(error_of(parse_time, "  "),
               Equals("empty time '  ' (expected a time such as '5ms')"));
    CHECK_THAT(error_of(parse_time, "ms"),
               Equals("invalid time 'ms' (expected a number and a unit such as '5ms')"));
    CHECK_THAT(error_of(parse_time, "inf s"), Contains("invalid time 'inf s'"));
    CHECK_THAT(error_of(parse_time, "nan s"), Contains("invalid time 'nan s'"));
    CHECK_THAT(error_of(parse_time, "."), Contains("invalid time '.'"));
    CHECK_THAT(error_of(parse_size, "1e400B"), Equals("size '1e400B' is out of range"));
    CHECK_THAT(error_of(parse_time, "1e307d"), Equals("time '1e307d' is out of range"));
    // Finite but beyond what nanosecond times can hold with room for sums.
    CHECK(parse_time("1e9s") == 1e9);
    CHECK_THAT(error_of(parse_time, "1.0000001e9s"),
               Equals("time '1.0000001e9s' is out of range (expected at most 1e9 s, about 31 years)"));
    CHECK_THAT(error_of(parse_time, "11111111111111111111111111111115ms"), Contains("expected at most 1e9 s"));
}

TEST_CASE("units: plain numbers", "[sim][units]") {
    CHECK(parse_number("0.8") == 0.8);
    CHECK(parse_number(" 3 ") == 3.0);
    CHECK(parse_number("-2.5") == -2.5);
    CHECK(parse_number("1e6") == 1e6);
    CHECK_THAT(error_of(parse_number, "2ms"),
               Equals("unexpected unit 'ms' in '2ms' (expected a plain number)"));
    CHECK_THAT(error_of(parse_number, "x"),
               Equals("invalid number 'x' (expected a plain number such as '2')"));
    CHECK_THAT(error_of(parse_number, "1e999"), Equals("number '1e999' is out of range"));
}
