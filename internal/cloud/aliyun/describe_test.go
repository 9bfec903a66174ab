package aliyun

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDescribeCredentials(t *testing.T) {
	cases := map[string]struct {
		reason  string
		env     map[string]string
		files   map[string]string
		profile string
		want    CredentialsInfo
		noCreds bool
	}{
		"env": {
			reason: "Environment variables are the first source of the chain.",
			env:    map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAIexample12345678", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": fakeSecret},
			want: CredentialsInfo{Provider: "default/env", AccessKeyID: "LTAI***********5678",
				Source: "environment variables ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET"},
		},
		"sts": {
			reason: "A security token makes the credentials temporary.",
			env: map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_ID": "STS.short", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": fakeSecret,
				"ALIBABA_CLOUD_SECURITY_TOKEN": fakeSecret},
			want: CredentialsInfo{Provider: "default/env", AccessKeyID: "STS.*hort", Temporary: true,
				Source: "environment variables ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET"},
		},
		"profile": {
			reason:  "A named profile of the credentials file.",
			files:   map[string]string{".alibabacloud/credentials": "[dev]\ntype = access_key\naccess_key_id = AKINIexample0001\naccess_key_secret = " + fakeSecret + "\n"},
			profile: "dev",
			want: CredentialsInfo{Provider: "profile/static_ak", AccessKeyID: "AKIN********0001",
				Source: `profile "dev" from the credentials file (~/.alibabacloud/credentials)`},
		},
		"none": {
			reason:  "No source at all is a CredentialsError.",
			noCreds: true,
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
			got, err := DescribeCredentials(tc.profile)
			if tc.noCreds {
				var ce *CredentialsError
				if !errors.As(err, &ce) || !errors.Is(err, ErrNoCredentials) {
					t.Errorf("%s\nerror %v, want a *CredentialsError wrapping ErrNoCredentials", tc.reason, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s\nDescribeCredentials: %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nDescribeCredentials: -want +got:\n%s", tc.reason, diff)
			}
			if strings.Contains(fmt.Sprintf("%+v", got), fakeSecret) {
				t.Errorf("%s\nthe secret leaked: %+v", tc.reason, got)
			}
		})
	}
}
