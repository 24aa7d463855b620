/** The web-app pages that links sent by email open (the API's accounts.email_messages names them too). */
export const VERIFY_EMAIL_PATH = "/accounts/verify-email";
export const FORGOT_PASSWORD_PATH = "/accounts/password/forgot";
export const RESET_PASSWORD_PATH = "/accounts/password/reset";
export const REVERT_EMAIL_PATH = "/accounts/email/revert";
