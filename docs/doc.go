// Package docs holds the tests of the documentation in this directory:
// the recipes of emulator.md leave the user's own aliyun configuration
// alone, and the messages troubleshooting.md quotes are the ones tmsync
// prints.
//
// It has no code of its own: the pages are what it tests.
package docs
