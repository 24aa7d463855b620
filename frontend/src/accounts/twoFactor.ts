/** Two-factor authentication in the web app: the account's second factors (cached under one key so the
 * settings sections and the "confirm it's you" dialog share it) and the types of the log-in's second step. */
import { useQuery } from "@tanstack/react-query";
import { api, type Schemas, unwrap } from "../api/client";

export type TwoFactorStatus = Schemas["TwoFactorOut"];
export type SecondStep = Schemas["TwoFactorRequiredOut"];
export type LoginResponse = Schemas["LoginResponse"];

export const TWO_FACTOR_KEY = ["two-factor"] as const;
export const PASSKEYS_KEY = ["passkeys"] as const;
export const TRUSTED_DEVICES_KEY = ["trusted-devices"] as const;

export function useTwoFactorStatus() {
  return useQuery({
    queryKey: TWO_FACTOR_KEY,
    queryFn: () => unwrap(api.GET("/api/viewfinder/v1/accounts/two-factor")),
  });
}

/** A log-in answer that asks for the second step, told apart from a finished log-in. */
export function needsSecondStep(response: LoginResponse | SecondStep): response is SecondStep {
  return "two_factor_required" in response && response.two_factor_required;
}

/** "123456" for an authenticator app's code; anything else is taken for a recovery code. */
export function looksLikeAppCode(value: string): boolean {
  return /^\d{6}$/.test(value.replace(/[\s-]/g, ""));
}
