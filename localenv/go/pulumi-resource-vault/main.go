// Command pulumi-resource-vault bridges terraform-provider-vault to Pulumi.
//
// pulumi-vault's own provider module is not served by the Go module proxy, so
// this builds the same bridge from its parts: the upstream Terraform provider
// (the commit pulumi-vault pins), pulumi-terraform-bridge and Pulumi's fork of
// terraform-plugin-sdk. Resource and function tokens are taken from the
// pinned pulumi-vault Python SDK (sdk-tokens.json, written by
// `toolchain.sh pin pulumi-resource-vault`) and matched to Terraform names, so
// programs using that SDK resolve to the right Terraform resources.
//
// `-check-tokens` lists SDK tokens that found no Terraform resource and exits
// non-zero if there are any.
package main

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-provider-vault/vault"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	shim "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
)

// Version is set at build time with -ldflags "-X main.Version=...".
var Version = "0.0.0-dev"

//go:embed sdk-tokens.json
var sdkTokensJSON []byte

// Names pulumi-vault maps by hand, which the rule in match cannot derive.
var overrides = map[string]string{
	"vault_azure_secret_backend":                "vault:azure/backend:Backend",
	"vault_azure_secret_backend_role":           "vault:azure/backendRole:BackendRole",
	"vault_identity_oidc_key_allowed_client_id": "vault:identity/oidcKeyAllowedClientID:OidcKeyAllowedClientID",
}

func main() {
	prov := shimv2.NewProvider(vault.Provider())
	info := tfbridge.ProviderInfo{
		P:           prov,
		Name:        "vault",
		Version:     Version,
		Resources:   map[string]*tfbridge.ResourceInfo{},
		DataSources: map[string]*tfbridge.DataSourceInfo{},
	}

	var sdk struct {
		Resources []string `json:"resources"`
		Functions []string `json:"functions"`
	}
	if err := json.Unmarshal(sdkTokensJSON, &sdk); err != nil {
		fmt.Fprintln(os.Stderr, "sdk-tokens.json:", err)
		os.Exit(1)
	}
	var tfResources, tfDataSources []string
	prov.ResourcesMap().Range(func(k string, _ shim.Resource) bool { tfResources = append(tfResources, k); return true })
	prov.DataSourcesMap().Range(func(k string, _ shim.Resource) bool { tfDataSources = append(tfDataSources, k); return true })

	resources, missingRes := match(tfResources, sdk.Resources, "")
	for tf, tok := range overrides {
		if _, ok := resources[tf]; !ok && contains(missingRes, tok) {
			resources[tf] = tok
			missingRes = remove(missingRes, tok)
		}
	}
	for tf, tok := range resources {
		info.Resources[tf] = &tfbridge.ResourceInfo{Tok: tokens.Type(tok)}
	}
	functions, missingFn := match(tfDataSources, sdk.Functions, "get")
	for tf, tok := range functions {
		info.DataSources[tf] = &tfbridge.DataSourceInfo{Tok: tokens.ModuleMember(tok)}
	}

	if len(os.Args) > 1 && strings.TrimLeft(os.Args[1], "-") == "check-tokens" {
		fmt.Printf("resources: %d/%d SDK tokens mapped (%d Terraform resources)\n", len(resources), len(sdk.Resources), len(tfResources))
		fmt.Printf("functions: %d/%d SDK tokens mapped (%d Terraform data sources)\n", len(functions), len(sdk.Functions), len(tfDataSources))
		for _, t := range append(missingRes, missingFn...) {
			fmt.Println("unmapped:", t)
		}
		if len(missingRes)+len(missingFn) > 0 {
			os.Exit(1)
		}
		return
	}

	schema := fmt.Sprintf(`{"name":"vault","displayName":"HashiCorp Vault","version":%q}`, Version)
	tfbridge.Main("vault", Version, info, []byte(schema))
}

type token struct{ full, mod, name string }

// match pairs Terraform names (vault_<prefix>_<rest>) with SDK tokens
// (vault:<mod>/<x>:<Name>) where Name is <rest> in PascalCase (with namePrefix
// for functions) and <mod> corresponds to <prefix>, or is "index" when there is
// no prefix. Returns tf name -> token, plus SDK tokens left unmatched.
func match(tfNames, sdkTokens []string, namePrefix string) (map[string]string, []string) {
	byName := map[string][]token{}
	for _, t := range sdkTokens {
		parts := strings.Split(t, ":")
		if len(parts) != 3 {
			continue
		}
		mod, _, _ := strings.Cut(parts[1], "/")
		byName[parts[2]] = append(byName[parts[2]], token{t, mod, parts[2]})
	}
	type cand struct {
		tf    string
		tok   token
		score int
	}
	var cands []cand
	for _, tf := range tfNames {
		words := strings.Split(strings.TrimPrefix(tf, "vault_"), "_")
		for i := range words {
			prefix, rest := strings.Join(words[:i], "_"), words[i:]
			for _, t := range byName[namePrefix+pascal(rest)] {
				if s := modScore(prefix, t.mod); s > 0 {
					cands = append(cands, cand{tf, t, s})
				}
			}
		}
	}
	sort.SliceStable(cands, func(i, j int) bool {
		if cands[i].score != cands[j].score {
			return cands[i].score > cands[j].score
		}
		return cands[i].tf < cands[j].tf
	})
	out := map[string]string{}
	used := map[string]bool{}
	for _, c := range cands {
		if _, done := out[c.tf]; done || used[c.tok.full] {
			continue
		}
		out[c.tf] = c.tok.full
		used[c.tok.full] = true
	}
	var missing []string
	for _, t := range sdkTokens {
		if !used[t] {
			missing = append(missing, t)
		}
	}
	sort.Strings(missing)
	return out, missing
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func remove(list []string, s string) []string {
	out := list[:0]
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

func modScore(prefix, mod string) int {
	norm := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "")) }
	switch {
	case prefix == "":
		if mod == "index" {
			return 3
		}
		return 0
	case norm(prefix) == norm(mod):
		return 3
	case strings.HasPrefix(norm(mod), norm(prefix)):
		return 2 // e.g. pki_ -> pkiSecret, token_ -> tokenauth
	}
	return 0
}

func pascal(words []string) string {
	var b strings.Builder
	for _, w := range words {
		if w != "" {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return b.String()
}
