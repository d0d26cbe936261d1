//! The Alibaba Cloud region ids a desired entry may name. A typo here would otherwise
//! surface only at plan time as an endpoint that does not resolve; checked at load, it
//! is reported with the closest real id.

/// Region ids with VPC endpoints (public, finance and government clouds), sorted.
pub const REGIONS: &[&str] = &[
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-3",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "cn-beijing",
    "cn-beijing-finance-1",
    "cn-chengdu",
    "cn-fuzhou",
    "cn-guangzhou",
    "cn-hangzhou",
    "cn-hangzhou-finance",
    "cn-heyuan",
    "cn-hongkong",
    "cn-huhehaote",
    "cn-nanjing",
    "cn-north-2-gov-1",
    "cn-qingdao",
    "cn-shanghai",
    "cn-shanghai-finance-1",
    "cn-shenzhen",
    "cn-shenzhen-finance-1",
    "cn-wuhan-lr",
    "cn-wulanchabu",
    "cn-zhangjiakou",
    "eu-central-1",
    "eu-west-1",
    "me-central-1",
    "me-east-1",
    "na-south-1",
    "us-east-1",
    "us-west-1",
];

pub fn is_known(region: &str) -> bool {
    REGIONS.binary_search(&region).is_ok()
}

/// The known region closest to `region`, if it is close enough to be a likely typo.
pub fn closest(region: &str) -> Option<&'static str> {
    super::suggest::closest(region, REGIONS.iter().copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_sorted_so_binary_search_works() {
        assert!(REGIONS.windows(2).all(|w| w[0] < w[1]));
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
}
