// TODO(merge): temporary stand-in with the contract's signatures; the cloud branch
// provides the real Client.
use super::*;

#[derive(Debug, Clone)]
pub struct Client;

impl Client {
    pub async fn delete_ipsec_server(&self, _req: &DeleteIpsecServer) -> Result<String, ApiError> {
        todo!()
    }
    pub async fn list_ipsec_servers(
        &self,
        _req: &ListIpsecServers,
    ) -> Result<Vec<IpsecServer>, ApiError> {
        todo!()
    }
    pub async fn describe_vpn_gateway(
        &self,
        _region: &str,
        _id: &str,
    ) -> Result<VpnGateway, ApiError> {
        todo!()
    }
    pub async fn describe_vpn_gateways(&self, _region: &str) -> Result<Vec<VpnGateway>, ApiError> {
        todo!()
    }
}
impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}
impl std::error::Error for ApiError {}
