//! The local emulator of the VPC API subset vpnform uses: HTTP on loopback, signature v1
//! verified, Alibaba-shaped errors, a world of regions, gateways and IPsec servers,
//! configurable configuring times, faults and an audit log of every effect.
