package aliyun

import (
	"fmt"
	"strings"

	"github.com/aliyun/credentials-go/credentials"
)

// A CredentialsInfo says where credentials come from, for tmsync doctor. It
// never holds a secret: the access key ID is masked and the secret and
// token are not kept.
type CredentialsInfo struct {
	// Provider is the credentials-go provider that answered, e.g.
	// "default/env" or "cli_profile/static_ak".
	Provider string
	// Source says the same for people, naming the variables or files read.
	Source string
	// AccessKeyID is the access key ID with all but its first and last 4
	// characters masked; "" for a bearer token.
	AccessKeyID string
	// Temporary is true for STS credentials, which carry a security token.
	Temporary bool
}

// DescribeCredentials resolves credentials as New would (contract C2: the
// named profile, else the default chain) and says where they came from.
// A missing source is a *CredentialsError.
func DescribeCredentials(profile string) (CredentialsInfo, error) {
	cred, err := resolveCredential(nil, profile)
	if err != nil {
		return CredentialsInfo{}, err
	}
	info, _, err := describeCredential(cred, profile)
	return info, err
}

// describeCredential says where cred's credentials come from, and returns
// its access key ID shortened for messages (LTAI…abcd).
func describeCredential(cred credentials.Credential, profile string) (CredentialsInfo, string, error) {
	m, err := cred.GetCredential()
	if err != nil {
		return CredentialsInfo{}, "", credentialsFailure(profile, err)
	}
	info := CredentialsInfo{
		Provider:    deref(m.ProviderName),
		AccessKeyID: maskKeyID(deref(m.AccessKeyId)),
		Temporary:   deref(m.SecurityToken) != "",
	}
	info.Source = describeProvider(info.Provider)
	if profile != "" {
		info.Source = fmt.Sprintf("profile %q from %s", profile, info.Source)
	}
	return info, shortKeyID(deref(m.AccessKeyId)), nil
}

// providerSources describes the credentials-go providers, most specific
// first (a provider name is a path such as default/cli_profile/static_ak).
var providerSources = []struct{ name, text string }{
	{"env", "environment variables ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET"},
	{"oidc_role_arn", "RRSA/OIDC: ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN and ALIBABA_CLOUD_OIDC_TOKEN_FILE"},
	{"cli_profile", "the aliyun CLI config (~/.aliyun/config.json)"},
	{"profile", "the credentials file (~/.alibabacloud/credentials)"},
	{"ecs_ram_role", "the ECS instance's RAM role (instance metadata)"},
	{"credential_uri", "the credentials URI (ALIBABA_CLOUD_CREDENTIALS_URI)"},
	{"cloud_sso", "CloudSSO"},
	{"oauth", "OAuth"},
	{"external", "an external credentials process"},
	{"ram_role_arn", "a RAM role assumed with other credentials"},
	{"static_sts", "a fixed STS token"},
	{"static_ak", "a fixed access key"},
}

func describeProvider(name string) string {
	parts := strings.Split(name, "/")
	for _, p := range providerSources {
		for _, part := range parts {
			if part == p.name {
				return p.text
			}
		}
	}
	if name == "" {
		return "an unnamed source"
	}
	return name
}

// maskKeyID keeps the first and last 4 characters of an access key ID.
func maskKeyID(id string) string {
	if len(id) <= 8 {
		return strings.Repeat("*", len(id))
	}
	return id[:4] + strings.Repeat("*", len(id)-8) + id[len(id)-4:]
}

// shortKeyID keeps the first and last 4 characters of an access key ID,
// for a message: enough to tell two keys apart, not to use one.
func shortKeyID(id string) string {
	if len(id) <= 8 {
		return strings.Repeat("*", len(id))
	}
	return id[:4] + "…" + id[len(id)-4:]
}
