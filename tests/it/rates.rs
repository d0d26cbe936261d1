//! Rate discovery, throttling and busy answers, and lag-proof waits, against the sandbox.
