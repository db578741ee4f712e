/**
 * @module features/auth/components/social-buttons
 * "Continue with GitHub / Google", for the providers the server has configured; nothing otherwise.
 */
import { Button } from '../../../components/ui/button.tsx';
import { ErrorMessage } from '../../../components/ui/error-message.tsx';
import { useAuthProviders } from '../api/get-providers.ts';
import { useSocialSignIn, type SocialProvider } from '../api/social-sign-in.ts';

const names: Record<SocialProvider, string> = { github: 'GitHub', google: 'Google' };

/** `invitation` goes along to the provider and back, for an account made on the way. */
export function SocialButtons({ invitation }: { invitation?: string | undefined }) {
  const providers = useAuthProviders();
  const socialSignIn = useSocialSignIn();
  const social = providers.data?.social ?? [];
  if (social.length === 0) return null;

  return (
    <div className="mb-6">
      <div className="space-y-3">
        {social.map((provider) => (
          <Button
            key={provider}
            variant="secondary"
            className="w-full"
            pending={socialSignIn.isPending && socialSignIn.variables.provider === provider}
            pendingText="Redirecting…"
            onClick={() => socialSignIn.mutate({ provider, invitation })}
          >
            Continue with {names[provider]}
          </Button>
        ))}
      </div>
      {socialSignIn.error && (
        <div className="mt-3">
          <ErrorMessage error={socialSignIn.error} />
        </div>
      )}
      <div className="relative mt-6 text-center text-xs text-slate-500">
        <span aria-hidden="true" className="absolute inset-x-0 top-1/2 border-t border-slate-200" />
        <span className="relative bg-white px-2">or with email</span>
      </div>
    </div>
  );
}
