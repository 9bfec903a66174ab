// Package ci holds the tests of the CI templates in this directory: the
// GitHub Actions workflow (github/tmsync.yml), whose run: steps are executed
// as testscripts against an in-process emulator with a fake gh, and the
// Kubernetes CronJob (kubernetes/cronjob.yaml), validated against the
// batch/v1 schema kept in testdata.
//
// It has no code of its own: the templates are what it tests.
package ci
