//! Logging a container engine in to ECR for `gantry deploy --build`: the
//! registry's user and password from `GetAuthorizationToken` (valid twelve
//! hours), so no credential helper has to be installed.

use crate::context::AwsContext;
use crate::error::aws_error;
use gantry_core::ProviderError;

/// A registry login. `password` is a secret: pass it on standard input,
/// never on a command line.
#[derive(Clone)]
pub struct Login {
    pub user: String,
    pub password: String,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("user", &self.user)
            .field("password", &"(secret)")
            .finish()
    }
}

/// The login for the account's registry in the context's region.
pub async fn login(ctx: &AwsContext) -> Result<Login, ProviderError> {
    let out = ctx
        .ecr()
        .get_authorization_token()
        .send()
        .await
        .map_err(|e| aws_error(e, &[]))?;
    let token = out
        .authorization_data()
        .first()
        .and_then(|d| d.authorization_token())
        .ok_or_else(|| ProviderError::msg("ECR returned no authorization token"))?;
    parse_token(token)
}

/// A token is base64 of `user:password`.
fn parse_token(token: &str) -> Result<Login, ProviderError> {
    let bad = || ProviderError::msg("ECR's authorization token is not base64 of user:password");
    let bytes = aws_smithy_types::base64::decode(token).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (user, password) = text.split_once(':').ok_or_else(bad)?;
    Ok(Login {
        user: user.to_string(),
        password: password.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_user_and_password() {
        let t = aws_smithy_types::base64::encode("AWS:s3cr:et");
        let l = parse_token(&t).unwrap();
        assert_eq!((l.user.as_str(), l.password.as_str()), ("AWS", "s3cr:et"));
        assert!(!format!("{l:?}").contains("s3cr"));
        assert!(parse_token("not base64!").is_err());
    }
}
