/** Browsers that skip the second step of logging in (chosen with "Trust this device for 30 days"): each
 * can be removed, or all at once. A new password or a change of second factors removes them all. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, type Schemas, unwrap } from "../../api/client";
import { ErrorBanner } from "../../components/Errors";
import { Spinner } from "../../components/Spinner";
import { describeUserAgent, formatDay } from "../format";
import { TRUSTED_DEVICES_KEY } from "../twoFactor";
import { SECURITY_EVENTS_KEY } from "./SecurityActivitySection";
import { Section } from "./Section";

type Device = Schemas["TrustedDeviceOut"];

export function TrustedDevicesSection() {
  const client = useQueryClient();
  const devices = useQuery({
    queryKey: TRUSTED_DEVICES_KEY,
    queryFn: () => unwrap(api.GET("/api/viewfinder/v1/accounts/trusted-devices")),
  });
  const remove = useMutation({
    mutationFn: (device: Device) =>
      unwrap(
        api.DELETE("/api/viewfinder/v1/accounts/trusted-devices/{device_id}", {
          params: { path: { device_id: device.id } },
        }),
      ),
    onSuccess: (_, device) => {
      client.setQueryData<Device[]>(TRUSTED_DEVICES_KEY, (old) => old?.filter((other) => other.id !== device.id));
      void client.invalidateQueries({ queryKey: SECURITY_EVENTS_KEY });
    },
  });
  const removeAll = useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/viewfinder/v1/accounts/trusted-devices")),
    onSuccess: () => {
      client.setQueryData<Device[]>(TRUSTED_DEVICES_KEY, []);
      void client.invalidateQueries({ queryKey: SECURITY_EVENTS_KEY });
    },
  });

  return (
    <Section
      id="trusted-devices"
      title="Trusted devices"
      hint="These browsers log in with your password alone, without the second step, until the date shown."
    >
      <ErrorBanner error={remove.error ?? removeAll.error} />
      {devices.isPending ? (
        <Spinner label="Loading trusted devices" />
      ) : devices.isError ? (
        <ErrorBanner error={devices.error} onRetry={() => void devices.refetch()} />
      ) : devices.data.length === 0 ? (
        <p className="settings-empty">No trusted devices.</p>
      ) : (
        <>
          <ul className="settings-list" aria-label="Your trusted devices">
            {devices.data.map((device) => {
              const agent = describeUserAgent(device.user_agent);
              return (
                <li key={device.id} className="settings-row">
                  <div className="settings-row-main">
                    <p className="settings-row-title">
                      {agent}
                      {device.current && <span className="this-device">This device</span>}
                    </p>
                    <p className="settings-row-meta">
                      {device.ip_address || "Unknown address"} · Trusted until{" "}
                      <time dateTime={device.expires_at}>{formatDay(device.expires_at)}</time>
                    </p>
                  </div>
                  <button
                    type="button"
                    className="button button-secondary"
                    aria-label={`Remove trusted device ${agent}`}
                    onClick={() => remove.mutate(device)}
                    disabled={remove.isPending && remove.variables?.id === device.id}
                  >
                    Remove
                  </button>
                </li>
              );
            })}
          </ul>
          <button
            type="button"
            className="button button-secondary"
            onClick={() => removeAll.mutate()}
            disabled={removeAll.isPending}
          >
            Remove all
          </button>
        </>
      )}
    </Section>
  );
}
