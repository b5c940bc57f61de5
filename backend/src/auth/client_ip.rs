//! Who the client is, as far as rate limits are concerned: the socket's peer, or the address a
//! trusted proxy forwarded, counted per address (IPv4) or per /64 network (IPv6), since one
//! IPv6 subscriber is usually handed a whole /64.

use axum::http::HeaderMap;
use ipnet::{IpNet, Ipv6Net};
use std::net::IpAddr;
use std::str::FromStr;

/// A network in CIDR notation (`10.0.0.0/8`, `fd00::/8`; a bare address is a /32 or /128).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr(IpNet);

impl Cidr {
    /// Parses a comma-separated list, naming the entry that cannot be read.
    pub fn parse_list(list: &str) -> Result<Vec<Cidr>, String> {
        list.split(',').map(str::trim).filter(|s| !s.is_empty()).map(Cidr::from_str).collect()
    }

    /// True when `addr` is inside the network.
    pub fn contains(&self, addr: IpAddr) -> bool {
        self.0.contains(&canonical(addr))
    }
}

impl FromStr for Cidr {
    type Err = String;
    fn from_str(s: &str) -> Result<Cidr, String> {
        IpNet::from_str(s)
            .or_else(|_| IpAddr::from_str(s).map(IpNet::from))
            .map(|net| Cidr(net.trunc()))
            .map_err(|_| format!("{s:?} is not an address or a CIDR network"))
    }
}

/// An IPv4 address mapped into IPv6 (a dual-stack socket's view) is the IPv4 address.
fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        v4 => v4,
    }
}

/// The client's address: the peer, unless the peer is a trusted proxy, in which case the
/// nearest address in `X-Forwarded-For` that is not itself a trusted proxy. A header from an
/// untrusted peer is ignored, so it cannot be spoofed to escape a limit.
pub fn client_addr(peer: IpAddr, headers: &HeaderMap, trusted: &[Cidr]) -> IpAddr {
    let peer = canonical(peer);
    let is_trusted = |a: IpAddr| trusted.iter().any(|c| c.contains(a));
    if !is_trusted(peer) {
        return peer;
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| IpAddr::from_str(a.trim()).ok())
        .map(canonical)
        .collect::<Vec<_>>();
    // Each proxy appends the address it received from; read from the right.
    forwarded.into_iter().rev().find(|a| !is_trusted(*a)).unwrap_or(peer)
}

/// What a rate limit counts: an IPv4 address, or the /64 network of an IPv6 address.
pub fn bucket(addr: IpAddr) -> IpAddr {
    match canonical(addr) {
        IpAddr::V6(v6) => Ipv6Net::new(v6, 64).map_or(IpAddr::V6(v6), |n| IpAddr::V6(n.network())),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().expect("header"));
        h
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted = Cidr::parse_list("10.0.0.0/8, 127.0.0.1").expect("cidrs");
        let client: IpAddr = "203.0.113.7".parse().expect("ip");
        let lb: IpAddr = "10.1.2.3".parse().expect("ip");
        assert_eq!(client_addr(lb, &headers("203.0.113.7"), &trusted), client);
        // A client that writes its own header in front of the real one gains nothing.
        assert_eq!(client_addr(lb, &headers("1.1.1.1, 203.0.113.7, 10.9.9.9"), &trusted), client);
        // From an untrusted peer the header is ignored.
        let stranger: IpAddr = "198.51.100.1".parse().expect("ip");
        assert_eq!(client_addr(stranger, &headers("203.0.113.7"), &trusted), stranger);
        assert_eq!(client_addr(lb, &HeaderMap::new(), &trusted), lb);
    }

    #[test]
    fn ipv6_counts_per_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().expect("ip");
        let c: IpAddr = "2001:db8:1:3::1".parse().expect("ip");
        assert_eq!(bucket(a), bucket(b));
        assert_ne!(bucket(a), bucket(c));
        let v4: IpAddr = "127.0.0.3".parse().expect("ip");
        assert_eq!(bucket(v4), v4);
        let mapped: IpAddr = "::ffff:127.0.0.3".parse().expect("ip");
        assert_eq!(bucket(mapped), v4);
    }

    #[test]
    fn bad_entries_are_named() {
        assert!(Cidr::parse_list("10.0.0.0/8, nonsense").expect_err("bad").contains("nonsense"));
        assert!(Cidr::parse_list("").expect("empty").is_empty());
    }
}
