//! SSL-VPN client certificates (issue 23).
