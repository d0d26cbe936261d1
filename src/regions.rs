//! The Alibaba Cloud regions vpnform knows, and the VPC endpoint of each: one table for
//! the validator (a desired entry's `region`), the endpoint resolver and the sandbox
//! (which answers `InvalidRegionId.NotFound` for any other region).
//!
//! A typo in a region would otherwise surface only at plan time as an endpoint that does
//! not resolve; checked at load, it is reported with the closest real id.

/// Where a region's VPC API is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// The central `vpc.aliyuncs.com`.
    Central,
    /// `vpc.<region>.aliyuncs.com`.
    Regional,
    /// A host of its own.
    Host(&'static str),
}

/// A region id and its VPC endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Region {
    pub(crate) id: &'static str,
    pub(crate) endpoint: Endpoint,
}

const fn central(id: &'static str) -> Region {
    Region {
        id,
        endpoint: Endpoint::Central,
    }
}

const fn regional(id: &'static str) -> Region {
    Region {
        id,
        endpoint: Endpoint::Regional,
    }
}

/// Region ids with VPC endpoints (public, finance and government clouds), sorted by id.
/// The endpoints are the `_endpoint_map` of the official SDK
/// (`alibabacloud-vpc20160428`'s `Client.__init__`): the regions it lists use the
/// central endpoint (or, once, a host of their own), every other the regional rule.
pub(crate) const REGIONS: &[Region] = &[
    regional("ap-northeast-1"),
    regional("ap-northeast-2"),
    regional("ap-south-1"),
    central("ap-southeast-1"),
    regional("ap-southeast-3"),
    regional("ap-southeast-5"),
    regional("ap-southeast-6"),
    regional("ap-southeast-7"),
    central("cn-beijing"),
    central("cn-beijing-finance-1"),
    regional("cn-chengdu"),
    regional("cn-fuzhou"),
    regional("cn-guangzhou"),
    central("cn-hangzhou"),
    central("cn-hangzhou-finance"),
    regional("cn-heyuan"),
    central("cn-hongkong"),
    regional("cn-huhehaote"),
    regional("cn-nanjing"),
    central("cn-north-2-gov-1"),
    central("cn-qingdao"),
    central("cn-shanghai"),
    central("cn-shanghai-finance-1"),
    central("cn-shenzhen"),
    central("cn-shenzhen-finance-1"),
    regional("cn-wuhan-lr"),
    regional("cn-wulanchabu"),
    regional("cn-zhangjiakou"),
    Region {
        id: "cn-zhangjiakou-na62-a01",
        endpoint: Endpoint::Host("vpc.cn-zhangjiakou.aliyuncs.com"),
    },
    regional("eu-central-1"),
    regional("eu-west-1"),
    regional("me-central-1"),
    regional("me-east-1"),
    regional("na-south-1"),
    central("us-east-1"),
    central("us-west-1"),
];

/// The known region `id`, if it is one.
pub(crate) fn get(id: &str) -> Option<&'static Region> {
    REGIONS
        .binary_search_by(|r| r.id.cmp(id))
        .ok()
        .map(|i| &REGIONS[i])
}

pub(crate) fn is_known(id: &str) -> bool {
    get(id).is_some()
}

/// Every known region id, sorted.
pub fn ids() -> impl Iterator<Item = &'static str> {
    REGIONS.iter().map(|r| r.id)
}

/// The known region closest to `id`, if it is close enough to be a likely typo.
pub(crate) fn closest(id: &str) -> Option<&'static str> {
    crate::suggest::closest(id, ids())
}

/// The VPC API host for `id`: the table's, or the regional rule for a region the table
/// does not list (a region opened after this release). `id` must already be a
/// well-formed region id (the caller checks; it becomes part of a host name).
pub(crate) fn vpc_host(id: &str) -> String {
    match get(id).map(|r| r.endpoint) {
        Some(Endpoint::Central) => "vpc.aliyuncs.com".to_owned(),
        Some(Endpoint::Host(host)) => host.to_owned(),
        Some(Endpoint::Regional) | None => format!("vpc.{id}.aliyuncs.com"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_sorted_so_binary_search_works() {
        assert!(REGIONS.windows(2).all(|w| w[0].id < w[1].id));
    }

    #[test]
    fn typos_suggest_the_real_region() {
        assert_eq!(closest("cn-hangzou"), Some("cn-hangzhou"));
        assert_eq!(closest("cn-shangai"), Some("cn-shanghai"));
        assert_eq!(closest("ap-southeast1"), Some("ap-southeast-1"));
        assert_eq!(closest("mars-north-9"), None);
        assert!(is_known("cn-wuhan-lr"));
        assert!(!is_known("cn-hangzhou "));
    }

    #[test]
    fn hosts_follow_the_sdk_endpoint_map() {
        assert_eq!(vpc_host("cn-hangzhou"), "vpc.aliyuncs.com");
        assert_eq!(vpc_host("eu-central-1"), "vpc.eu-central-1.aliyuncs.com");
        assert_eq!(
            vpc_host("cn-zhangjiakou-na62-a01"),
            "vpc.cn-zhangjiakou.aliyuncs.com"
        );
        assert_eq!(vpc_host("xx-new-1"), "vpc.xx-new-1.aliyuncs.com");
    }
}
