//go:build race

package tools_test

// raceBuild: the tests run under the race detector, which slows them about
// tenfold; the load test runs a smaller load then.
const raceBuild = true
