// Package ci holds the tests of the CI templates in this directory: the
// GitHub Actions workflow (github/tmsync.yml) and the GitLab CI pipeline
// (gitlab/tmsync.gitlab-ci.yml), whose steps and scripts are run as
// testscripts the way GitHub's and GitLab's runners start them, against an
// in-process emulator, with a fake gh and a fake GitLab API, installing
// tmsync with scripts/install.sh from a fake release; and the Kubernetes
// CronJob (kubernetes/cronjob.yaml), validated against the batch/v1 schema
// kept in testdata.
//
// It has no code of its own: the templates are what it tests.
package ci
