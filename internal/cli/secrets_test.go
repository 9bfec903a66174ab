package cli

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tmsync/tmsync/internal/emulator"
)

// leakMarker is part of every secret below: it must never be printed or
// written to the lock directory, whatever the source and whatever fails.
const leakMarker = "LEAKME"

const (
	leakSecret = leakMarker + "_secret_9f2a7c"
	leakToken  = leakMarker + "_token_41d0"
)

// TestNoSecretPrinted drives every source of credentials that works
// offline (environment variables, the credentials file, the aliyun CLI
// config, RRSA/OIDC with a token file), well-formed and malformed, through
// tmsync doctor, plan and apply against an emulator that knows the keys.
// No secret appears on stdout, on stderr or in a file under the lock
// directory; a malformed file is named with the line at fault.
func TestNoSecretPrinted(t *testing.T) {
	srv, err := emulator.NewServer(emulator.Options{
		AccessKeys: map[string]string{"AKGOOD": leakSecret, "STS.AKGOOD": leakSecret},
		AsyncDelay: time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	const ini = ".alibabacloud/credentials"
	const cliConfig = ".aliyun/config.json"
	iniProfile := func(name, secretLine string) string {
		return "# tmsync test\n[" + name + "]\ntype = access_key\naccess_key_id = AKGOOD\n" + secretLine + "\n"
	}
	cases := map[string]struct {
		reason  string
		env     map[string]string
		files   map[string]string // relative to HOME
		profile string
		ok      bool     // the commands succeed
		say     []string // what the failure must name, $HOME for the home directory
	}{
		"env": {reason: "keys in the environment",
			env: map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_ID": "AKGOOD", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": leakSecret}, ok: true},
		"env sts": {reason: "a temporary key and its token in the environment",
			env: map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_ID": "STS.AKGOOD", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": leakSecret,
				"ALIBABA_CLOUD_SECURITY_TOKEN": leakToken}, ok: true},
		"env secret without id": {reason: "a secret without its ID is refused without echoing it",
			env: map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_SECRET": leakSecret}, say: []string{"ALIBABA_CLOUD_ACCESS_KEY_ID"}},
		"ini profile": {reason: "a profile of the credentials file",
			files: map[string]string{ini: iniProfile("dev", "access_key_secret = "+leakSecret)}, profile: "dev", ok: true},
		"ini default": {reason: "the default profile of the credentials file, through the chain",
			files: map[string]string{ini: iniProfile("default", "access_key_secret = "+leakSecret)}, ok: true},
		"cli config profile": {reason: "a profile of the aliyun CLI config",
			files:   map[string]string{cliConfig: `{"current":"default","profiles":[{"name":"dev","mode":"AK","access_key_id":"AKGOOD","access_key_secret":"` + leakSecret + `"}]}`},
			profile: "dev", ok: true},
		"ini backtick": {reason: "a value opened with a backtick and never closed",
			files:   map[string]string{ini: iniProfile("dev", "access_key_secret = `"+leakSecret)},
			profile: "dev", say: []string{"$HOME/" + ini, "line 5"}},
		"ini backtick chain": {reason: "the same, found by the default chain",
			files: map[string]string{ini: iniProfile("default", "access_key_secret = `"+leakSecret)},
			say:   []string{"$HOME/" + ini, "line 5"}},
		"ini triple quote": {reason: `a value opened with """ and never closed`,
			files:   map[string]string{ini: iniProfile("dev", `access_key_secret = """`+leakSecret)},
			profile: "dev", say: []string{"$HOME/" + ini, "line 5"}},
		"ini unclosed double quote": {reason: "a double quote never closed is part of the value: the secret is wrong, and not shown",
			files:   map[string]string{ini: iniProfile("dev", `access_key_secret = "`+leakSecret)},
			profile: "dev", say: []string{"SignatureDoesNotMatch"}},
		"ini bare line": {reason: "a line that is only the secret",
			files:   map[string]string{ini: iniProfile("dev", leakSecret)},
			profile: "dev", say: []string{"$HOME/" + ini, "line 5"}},
		"ini unclosed section": {reason: "a section header never closed",
			files:   map[string]string{ini: "[dev " + leakSecret + "\n"},
			profile: "dev", say: []string{"$HOME/" + ini, "line 1"}},
		"ini file from env": {reason: "ALIBABA_CLOUD_CREDENTIALS_FILE names the file",
			env:   map[string]string{"ALIBABA_CLOUD_CREDENTIALS_FILE": "$HOME/creds.ini"},
			files: map[string]string{"creds.ini": iniProfile("default", "access_key_secret = `"+leakSecret)},
			say:   []string{"$HOME/creds.ini", "line 5"}},
		"cli config truncated": {reason: "a CLI config cut short",
			files:   map[string]string{cliConfig: "{\"profiles\": [\n  {\"name\": \"dev\", \"mode\": \"AK\",\n   \"access_key_secret\": \"" + leakSecret + "\""},
			profile: "dev", say: []string{"$HOME/" + cliConfig, "line 3"}},
		"cli config wrong type": {reason: "a CLI config with a number for a string",
			files:   map[string]string{cliConfig: "{\"profiles\": [\n  {\"name\": \"dev\", \"mode\": \"AK\", \"access_key_id\": 1,\n   \"access_key_secret\": \"" + leakSecret + "\"}]}"},
			profile: "dev", say: []string{"$HOME/" + cliConfig, "line 2"}},
		"cli config chain": {reason: "a malformed CLI config found by the default chain",
			files: map[string]string{cliConfig: `{"current":"default","profiles":[{"name":"default","access_key_secret":"` + leakSecret + `"`},
			say:   []string{"$HOME/" + cliConfig, "line 1"}},
		"oidc": {reason: "RRSA: the token file's content is a secret too",
			env: map[string]string{"ALIBABA_CLOUD_ROLE_ARN": "acs:ram::1:role/r", "ALIBABA_CLOUD_OIDC_PROVIDER_ARN": "acs:ram::1:oidc-provider/p",
				"ALIBABA_CLOUD_OIDC_TOKEN_FILE": "$HOME/token", "ALIBABA_CLOUD_STS_REGION": "invalid"},
			files: map[string]string{"token": leakToken}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			isolateCredentials(t)
			for _, k := range []string{"ALIBABA_CLOUD_OIDC_TOKEN", "ALIBABA_CLOUD_STS_REGION", "ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "TMSYNC_ENDPOINT", "TMSYNC_PROFILE"} {
				t.Setenv(k, "")
				os.Unsetenv(k)
			}
			home := os.Getenv("HOME")
			for p, c := range tc.files {
				path := filepath.Join(home, p)
				if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(c), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			for k, v := range tc.env {
				t.Setenv(k, strings.ReplaceAll(v, "$HOME", home))
			}
			dir, lockDir := t.TempDir(), t.TempDir()
			writeSpec(t, dir, "s.yaml", "stack: leak\nregion: cn-hangzhou\nfilters:\n  web:\n    ingress: [{priority: 1, action: accept, protocol: TCP}]\n")
			var profile []string
			if tc.profile != "" {
				profile = []string{"--profile", tc.profile}
			}
			common := append([]string{"--endpoint", srv.URL()}, profile...)
			for _, args := range [][]string{
				append([]string{"doctor", "--region", "cn-hangzhou"}, common...),
				append([]string{"plan", "-f", dir, "--lock-dir", lockDir}, common...),
				append([]string{"apply", "-f", dir, "--lock-dir", lockDir, "--auto-approve", "--poll-interval", "2ms"}, common...),
			} {
				code, stdout, stderr := run(t, args...)
				out := stdout + stderr
				if strings.Contains(out, leakMarker) {
					t.Errorf("%s: tmsync %s printed a secret:\n%s", tc.reason, args[0], out)
				}
				if got := code == ExitOK; got != tc.ok {
					t.Errorf("%s: tmsync %s: exit %d, want success %v\n%s", tc.reason, args[0], code, tc.ok, out)
				}
				for _, s := range tc.say {
					if s = strings.ReplaceAll(s, "$HOME", home); !strings.Contains(out, s) {
						t.Errorf("%s: tmsync %s does not say %q:\n%s", tc.reason, args[0], s, out)
					}
				}
			}
			filepath.WalkDir(lockDir, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				if b, _ := os.ReadFile(p); strings.Contains(string(b), leakMarker) {
					t.Errorf("%s: %s holds a secret", tc.reason, p)
				}
				return nil
			})
		})
	}
}
