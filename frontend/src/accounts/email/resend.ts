/** Asking for the link that confirms the account's email address again (a few times an hour). */
import { useMutation } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";

export function useResendVerification() {
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/viewfinder/v1/accounts/email/verification")),
  });
}
