//go:build !race

package tools_test

// raceBuild: the tests run without the race detector.
const raceBuild = false
