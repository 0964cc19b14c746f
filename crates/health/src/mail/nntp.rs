// SPDX-License-Identifier: MIT OR Apache-2.0
//! NNTP: the greeting must be 2xx (200 posting allowed, 201 not), as
//! ldirectord's check_nntp requires; AUTHINFO USER/PASS (RFC 4643) when a
//! login is set.

use crate::Login;

use super::line::Conn;

/// The dialogue, up to the answer; the caller says QUIT.
pub(super) async fn check(c: &mut Conn, login: Option<&Login>) -> Result<String, String> {
    let greeting = c.reply("the greeting").await?;
    if !greeting.positive() {
        c.broken = true; // it is closing, or will not talk
        return Err(c.fail(&format!("greeting {greeting}")));
    }
    let Some(login) = login else {
        return Ok(format!("NNTP {}", greeting.code));
    };
    let refused = |c: &Conn, r: &dyn std::fmt::Display| {
        c.fail(&format!("login refused for user '{}': {r}", login.user))
    };
    c.send(&format!("AUTHINFO USER {}", login.user)).await?;
    let user = c.reply("the answer to AUTHINFO USER").await?;
    match user.code {
        281 => {}
        381 => {
            c.send(&format!("AUTHINFO PASS {}", login.password.as_str()))
                .await?;
            let pass = c.reply("the answer to AUTHINFO PASS").await?;
            if pass.code != 281 {
                return Err(refused(c, &pass));
            }
        }
        _ => return Err(refused(c, &user)),
    }
    Ok(format!("NNTP: logged in as '{}'", login.user))
}
