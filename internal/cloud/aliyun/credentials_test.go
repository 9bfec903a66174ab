package aliyun

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// isolateCredentials points every source of credentials-go at an empty
// home, so that the machine's own credentials cannot leak into a test.
func isolateCredentials(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("USERPROFILE", home)
	for _, k := range []string{
		"ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN",
		"ALIBABA_CLOUD_PROFILE", "ALIBABA_CLOUD_CONFIG_FILE", "ALIBABA_CLOUD_CREDENTIALS_FILE",
		"ALIBABA_CLOUD_ROLE_ARN", "ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
		"ALIBABA_CLOUD_CREDENTIALS_URI", "ALIBABA_CLOUD_ECS_METADATA",
	} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	// Off an ECS instance the metadata service only costs seconds of timeouts.
	t.Setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
	return home
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

const fakeSecret = "s3cr3t-do-not-print"

func TestResolveCredential(t *testing.T) {
	type want struct {
		KeyID      string
		NoCreds    bool
		Profile    string
		HintHas    []string
		NeverShown string
	}
	cases := map[string]struct {
		reason  string
		env     map[string]string
		files   map[string]string // relative to HOME
		profile string
		want    want
	}{
		"Env": {
			reason: "the default chain reads the environment first",
			env:    map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_ID": "AK-ENV", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": fakeSecret},
			want:   want{KeyID: "AK-ENV"},
		},
		"CLIProfile": {
			reason: "a named profile of the aliyun CLI's config",
			files: map[string]string{".aliyun/config.json": `{"current":"default","profiles":[` +
				`{"name":"default","mode":"AK","access_key_id":"AK-DEFAULT","access_key_secret":"x"},` +
				`{"name":"dev","mode":"AK","access_key_id":"AK-DEV","access_key_secret":"y"}]}`},
			profile: "dev",
			want:    want{KeyID: "AK-DEV"},
		},
		"IniProfile": {
			reason:  "a named profile of the shared credentials file, when the CLI has none",
			files:   map[string]string{".alibabacloud/credentials": "[dev]\ntype = access_key\naccess_key_id = AK-INI\naccess_key_secret = z\n"},
			profile: "dev",
			want:    want{KeyID: "AK-INI"},
		},
		"ProfileWinsOverEnv": {
			reason:  "a named profile is used even when the environment has keys",
			env:     map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_ID": "AK-ENV", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": fakeSecret},
			files:   map[string]string{".alibabacloud/credentials": "[dev]\ntype = access_key\naccess_key_id = AK-INI\naccess_key_secret = z\n"},
			profile: "dev",
			want:    want{KeyID: "AK-INI"},
		},
		"None": {
			reason: "no source at all says what to do, including the local emulator",
			want: want{NoCreds: true, HintHas: []string{"ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
				"--profile", "--endpoint local"}},
		},
		"MissingProfile": {
			reason:  "a profile that exists nowhere names itself and how to create it",
			profile: "prod",
			want:    want{NoCreds: true, Profile: "prod", HintHas: []string{"aliyun configure --profile prod"}},
		},
		"MalformedConfigNotQuoted": {
			reason:  "credentials-go quotes a malformed CLI config whole; the secret in it must not reach the error",
			files:   map[string]string{".aliyun/config.json": `{"profiles":[{"name":"dev","access_key_secret":"` + fakeSecret + `"` /* truncated */},
			profile: "dev",
			want:    want{NoCreds: true, Profile: "dev", HintHas: []string{"fix line 1 of"}, NeverShown: fakeSecret},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			home := isolateCredentials(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			for p, c := range tc.files {
				writeFile(t, filepath.Join(home, p), c)
			}
			cred, err := resolveCredential(nil, tc.profile)
			var got want
			if err != nil {
				var ce *CredentialsError
				if !errors.As(err, &ce) {
					t.Fatalf("%s\nerror %v is not a *CredentialsError", tc.reason, err)
				}
				got.NoCreds = errors.Is(err, ErrNoCredentials)
				got.Profile = ce.Profile
				for _, h := range tc.want.HintHas {
					if strings.Contains(ce.Hint(), h) {
						got.HintHas = append(got.HintHas, h)
					}
				}
				if tc.want.NeverShown != "" && !strings.Contains(err.Error()+ce.Hint(), tc.want.NeverShown) {
					got.NeverShown = tc.want.NeverShown
				}
			} else {
				m, err := cred.GetCredential()
				if err != nil {
					t.Fatal(err)
				}
				got.KeyID = deref(m.AccessKeyId)
				got.HintHas, got.NeverShown = tc.want.HintHas, tc.want.NeverShown
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nresolveCredential(%q) (error %v): -want +got:\n%s", tc.reason, tc.profile, err, diff)
			}
		})
	}
}
