package apiclient

import (
	"errors"
	"strings"
	"testing"
)

// ValidateBaseURL accepts exactly what New accepts, and its messages say
// what is wrong without repeating a password.
func TestValidateBaseURL(t *testing.T) {
	tests := []struct {
		raw     string
		wantErr string // the whole message; "" when valid
	}{
		{"", ""},
		{"https://api.alfe.ai", ""},
		{"http://127.0.0.1:8080/prefix/", ""},
		{"ftp://api.alfe.ai", `API URL "ftp://api.alfe.ai" must be an absolute http(s) URL such as https://api.alfe.ai`},
		{"api.alfe.ai", `API URL "api.alfe.ai" must be an absolute http(s) URL such as https://api.alfe.ai`},
		{"http://", `API URL "http://" must be an absolute http(s) URL such as https://api.alfe.ai`},
		{"http://api.alfe.ai/%zz", `API URL "http://api.alfe.ai/%zz" must be an absolute http(s) URL such as https://api.alfe.ai`},
		{"https://api.alfe.ai/?x=1", `API URL "https://api.alfe.ai/?x=1" must not carry a query, fragment or user info`},
		{"https://api.alfe.ai/#top", `API URL "https://api.alfe.ai/#top" must not carry a query, fragment or user info`},
		{"https://user:hunter2@api.alfe.ai", `API URL "https://user:xxxxx@api.alfe.ai" must not carry a query, fragment or user info`},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			err := ValidateBaseURL(tt.raw)
			_, newErr := New(Options{BaseURL: tt.raw})
			if (err == nil) != (newErr == nil) {
				t.Errorf("ValidateBaseURL: %v, but New: %v", err, newErr)
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("ValidateBaseURL(%q) = %v, want nil", tt.raw, err)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("ValidateBaseURL(%q) = %v, want %q", tt.raw, err, tt.wantErr)
			}
			if !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("the error does not wrap ErrInvalidArgument")
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error repeats the password")
			}
		})
	}
}
