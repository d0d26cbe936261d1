//! The CI workflow examples: valid YAML, and every vpnform command line in them parses.
