// Package sandbox is an in-memory emulator of the Alfe agent API for --sandbox and end-to-end tests.
//
// A Handler serves the agent routes of the Alfe API (whoami, the integration registry, installs,
// their configuration, OAuth URLs and OAuth status) with the same envelope, status codes and shapes
// that alfe-mcp expects from the live service, keeping all state in memory. It also serves a small
// browser consent page under /sandbox/oauth/, so that the OAuth connect flow can be completed by a
// person (or a test) without contacting any real provider. Server runs a Handler on a loopback
// listener.
//
// Nothing leaves the process: no provider is contacted and no credential is stored beyond the
// configuration values clients send.
package sandbox
