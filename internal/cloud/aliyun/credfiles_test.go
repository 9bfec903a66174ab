package aliyun

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCheckCredentialFileFormats(t *testing.T) {
	type want struct {
		Line    int
		Problem string
	}
	head := "# comment\n[dev]\ntype = access_key\naccess_key_id = AK\n"
	cases := map[string]struct {
		reason string
		check  func([]byte) (int, string)
		data   string
		want   want
	}{
		"ini good": {reason: "a well-formed file has no problem", check: checkINI,
			data: head + "access_key_secret = " + fakeSecret + "\n"},
		"ini unclosed double quote": {reason: "go-ini keeps an unclosed double quote as part of the value", check: checkINI,
			data: head + `access_key_secret = "` + fakeSecret + "\n"},
		"ini backtick": {reason: "a backtick opens a value that must close", check: checkINI,
			data: head + "access_key_secret = `" + fakeSecret + "\n[other]\nk = v\n",
			want: want{5, "a value opened with a backtick or \"\"\" is never closed"}},
		"ini triple quote": {reason: `""" opens a value that must close`, check: checkINI,
			data: head + `access_key_secret = """` + fakeSecret,
			want: want{5, "a value opened with a backtick or \"\"\" is never closed"}},
		"ini closed later": {reason: "a multi-line value closed further down is fine; the error after it is found", check: checkINI,
			data: head + "policy = `{\n}`\n" + fakeSecret + "\n",
			want: want{7, "the line is neither key = value, a [section] nor a comment"}},
		"ini bare line": {reason: "a line without =", check: checkINI,
			data: head + fakeSecret + "\n",
			want: want{5, "the line is neither key = value, a [section] nor a comment"}},
		"ini unclosed section": {reason: "a section without ]", check: checkINI,
			data: "\n\n[dev " + fakeSecret + "\n",
			want: want{3, "a section header is not closed with ]"}},
		"ini empty key": {reason: "= with no key", check: checkINI,
			data: head + "= " + fakeSecret + "\n",
			want: want{5, "the line has no key before its ="}},
		"ini quoted key": {reason: "a quoted key never closed", check: checkINI,
			data: head + `"access_key_secret = ` + fakeSecret + "\n",
			want: want{5, "a quoted key is never closed"}},
		"json good": {reason: "a well-formed config", check: checkCLIConfig,
			data: `{"current":"dev","profiles":[{"name":"dev","mode":"AK","access_key_id":"AK","access_key_secret":"` + fakeSecret + `","expired_seconds":900}]}`},
		"json truncated": {reason: "a config cut short fails at its end", check: checkCLIConfig,
			data: "{\n \"profiles\": [\n  {\"access_key_secret\": \"" + fakeSecret + "\"",
			want: want{3, "it is not valid JSON"}},
		"json bad character": {reason: "a syntax error names its line", check: checkCLIConfig,
			data: "{\n \"profiles\": [\n  {\"access_key_secret\": " + fakeSecret + "}]}\n",
			want: want{3, "it is not valid JSON"}},
		"json wrong type": {reason: "a value of the wrong type names the field, not the value", check: checkCLIConfig,
			data: "{\n \"profiles\": [{\"name\": \"dev\",\n \"expired_seconds\": \"" + fakeSecret + "\"}]}",
			want: want{3, "profiles.expired_seconds must be a int"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var got want
			got.Line, got.Problem = tc.check([]byte(tc.data))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s: -want +got:\n%s", tc.reason, diff)
			}
			if strings.Contains(got.Problem, fakeSecret) {
				t.Errorf("%s: the problem quotes the file: %q", tc.reason, got.Problem)
			}
		})
	}
}

// TestResolveCredentialMalformedFiles checks that a credential file that
// does not parse is reported by path and line, for a profile and for the
// default chain, and that nothing of its content is shown.
func TestResolveCredentialMalformedFiles(t *testing.T) {
	cases := map[string]struct {
		reason  string
		files   map[string]string // relative to HOME
		profile string
		want    []string // in the error and hint, $HOME for the home directory
	}{
		"ini profile": {reason: "a backtick value never closed, profile asked for",
			files:   map[string]string{".alibabacloud/credentials": "[dev]\ntype = access_key\naccess_key_id = AK\naccess_key_secret = `" + fakeSecret + "\n"},
			profile: "dev", want: []string{"credentials file $HOME/.alibabacloud/credentials, line 4:", "fix line 4 of $HOME/.alibabacloud/credentials"}},
		"ini chain": {reason: "the same through the default chain",
			files: map[string]string{".alibabacloud/credentials": "[default]\ntype = access_key\naccess_key_id = AK\naccess_key_secret = \"\"\"" + fakeSecret + "\n"},
			want:  []string{"credentials file $HOME/.alibabacloud/credentials, line 4:"}},
		"cli config": {reason: "a CLI config cut short",
			files:   map[string]string{".aliyun/config.json": `{"profiles":[{"name":"dev","access_key_secret":"` + fakeSecret + `"`},
			profile: "dev", want: []string{"aliyun CLI config $HOME/.aliyun/config.json, line 1: it is not valid JSON"}},
		"both": {reason: "both files broken: both are named",
			files: map[string]string{
				".aliyun/config.json":       `{"profiles":[{"name":"dev","access_key_secret":"` + fakeSecret + `"`,
				".alibabacloud/credentials": "[dev]\n" + fakeSecret + "\n",
			},
			profile: "dev", want: []string{"$HOME/.aliyun/config.json, line 1", "$HOME/.alibabacloud/credentials, line 2",
				"fix line 1 of $HOME/.aliyun/config.json and line 2 of $HOME/.alibabacloud/credentials"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			home := isolateCredentials(t)
			for p, c := range tc.files {
				writeFile(t, filepath.Join(home, p), c)
			}
			_, err := resolveCredential(nil, tc.profile)
			var ce *CredentialsError
			if !errors.As(err, &ce) || !errors.Is(err, ErrNoCredentials) {
				t.Fatalf("%s: error %v is not a *CredentialsError for ErrNoCredentials", tc.reason, err)
			}
			var fe *CredentialFileError
			if !errors.As(err, &fe) {
				t.Errorf("%s: error %v holds no *CredentialFileError", tc.reason, err)
			}
			text := err.Error() + "\n" + ce.Hint()
			if strings.Contains(text, fakeSecret) {
				t.Errorf("%s: the file's content is shown:\n%s", tc.reason, text)
			}
			for _, w := range tc.want {
				if w = strings.ReplaceAll(w, "$HOME", home); !strings.Contains(text, w) {
					t.Errorf("%s: %q missing from:\n%s", tc.reason, w, text)
				}
			}
		})
	}
}

// TestRedactKnownSecrets checks the last line of defence: whatever text an
// error of credentials-go or an STS answer holds, the secrets tmsync knows
// of are taken out of it, as written and as Go quotes them.
func TestRedactKnownSecrets(t *testing.T) {
	home := isolateCredentials(t)
	const envSecret, token, fileSecret, jsonSecret = "env-secret-value-1", "oidc.token\"value-2", "ini-secret-value-3", "json-secret-value-4"
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", envSecret)
	writeFile(t, filepath.Join(home, "token"), token+"\n")
	t.Setenv("ALIBABA_CLOUD_OIDC_TOKEN_FILE", filepath.Join(home, "token"))
	writeFile(t, filepath.Join(home, ".alibabacloud/credentials"), "[dev]\ntype = access_key\naccess_key_id = AK-KEEP-ME\naccess_key_secret = "+fileSecret+"\n")
	writeFile(t, filepath.Join(home, ".aliyun/config.json"), `{"profiles":[{"name":"dev","mode":"AK","access_key_id":"AK-KEEP-ME","access_key_secret":"`+jsonSecret+`"}]}`)
	err := fmt.Errorf("get session token failed: %s %q %s %s (key AK-KEEP-ME)", envSecret, token, fileSecret, jsonSecret)
	got := redact(err)
	for _, s := range []string{envSecret, token, `oidc.token\"value-2`, fileSecret, jsonSecret} {
		if strings.Contains(got, s) {
			t.Errorf("redact kept %q: %s", s, got)
		}
	}
	if !strings.Contains(got, "AK-KEEP-ME") || !strings.Contains(got, "get session token failed") {
		t.Errorf("redact took more than the secrets: %s", got)
	}
}
