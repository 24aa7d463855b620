/** Every route of the app. Signed-in screens sit behind RequireAuth; profiles and posts are public
 * (the API decides what an anonymous or blocked viewer may see). */
import { lazy, type ReactNode, Suspense } from "react";
import { Route, Routes } from "react-router-dom";
import { RequireAuth } from "./auth/auth";
import { Layout } from "./components/Layout";
import { Collection } from "./screens/Collection";
import { Create } from "./screens/Create";
import { EditProfile } from "./screens/EditProfile";
import { Explore } from "./screens/Explore";
import { ForgotPassword } from "./screens/ForgotPassword";
import { FollowList } from "./screens/FollowList";
import { FollowRequests } from "./screens/FollowRequests";
import { Hashtag } from "./screens/Hashtag";
import { Home } from "./screens/Home";
import { Login } from "./screens/Login";
import { NotFound } from "./screens/NotFound";
import { Notifications } from "./screens/Notifications";
import { PostDetail } from "./screens/PostDetail";
import { Profile } from "./screens/Profile";
import { ResetPassword } from "./screens/ResetPassword";
import { RevertEmail } from "./screens/RevertEmail";
import { Saved } from "./screens/Saved";
import { Search } from "./screens/Search";
import { Settings } from "./screens/Settings";
import { Signup } from "./screens/Signup";
import { VerifyEmail } from "./screens/VerifyEmail";
import { Spinner } from "./components/Spinner";

// The staff screens and the account status page load on first use: most people never open them.
const AccountStatus = lazy(() => import("./moderation/AccountStatus").then((m) => ({ default: m.AccountStatus })));
const Announcements = lazy(() => import("./staff/Announcements").then((m) => ({ default: m.Announcements })));
const Audit = lazy(() => import("./staff/Audit").then((m) => ({ default: m.Audit })));
const Case = lazy(() => import("./staff/Case").then((m) => ({ default: m.Case })));
const Detection = lazy(() => import("./staff/Detection").then((m) => ({ default: m.Detection })));
const Featured = lazy(() => import("./staff/Featured").then((m) => ({ default: m.Featured })));
const Queue = lazy(() => import("./staff/Queue").then((m) => ({ default: m.Queue })));
const Recommendations = lazy(() => import("./staff/Recommendations").then((m) => ({ default: m.Recommendations })));
const Roles = lazy(() => import("./staff/Roles").then((m) => ({ default: m.Roles })));
const Rules = lazy(() => import("./staff/Rules").then((m) => ({ default: m.Rules })));
const StaffAccount = lazy(() => import("./staff/StaffAccount").then((m) => ({ default: m.StaffAccount })));

/** A signed-in screen whose code loads on first use. */
function Later({ children }: { children: ReactNode }) {
  return (
    <RequireAuth>
      <Suspense fallback={<Spinner label="Loading" />}>{children}</Suspense>
    </RequireAuth>
  );
}

export function App() {
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route path="/login" element={<Login />} />
        <Route path="/signup" element={<Signup />} />
        <Route path="/" element={<RequireAuth><Home /></RequireAuth>} />
        <Route path="/create" element={<RequireAuth><Create /></RequireAuth>} />
        <Route path="/explore" element={<Explore />} />
        <Route path="/search" element={<Search />} />
        <Route path="/tags/:tag" element={<Hashtag />} />
        <Route path="/p/:postId" element={<PostDetail />} />
        <Route path="/notifications" element={<RequireAuth><Notifications /></RequireAuth>} />
        <Route path="/requests" element={<RequireAuth><FollowRequests /></RequireAuth>} />
        <Route path="/saved" element={<RequireAuth><Saved /></RequireAuth>} />
        <Route path="/saved/:collectionId" element={<RequireAuth><Collection /></RequireAuth>} />
        <Route path="/settings" element={<RequireAuth><Settings /></RequireAuth>} />
        <Route path="/accounts/edit" element={<RequireAuth><EditProfile /></RequireAuth>} />
        <Route path="/accounts/verify-email" element={<VerifyEmail />} />
        <Route path="/accounts/status" element={<Later><AccountStatus /></Later>} />
        <Route path="/staff" element={<Later><Queue /></Later>} />
        <Route path="/staff/cases/:caseId" element={<Later><Case /></Later>} />
        <Route path="/staff/accounts/:username" element={<Later><StaffAccount /></Later>} />
        <Route path="/staff/rules" element={<Later><Rules /></Later>} />
        <Route path="/staff/detection" element={<Later><Detection /></Later>} />
        <Route path="/staff/roles" element={<Later><Roles /></Later>} />
        <Route path="/staff/audit" element={<Later><Audit /></Later>} />
        <Route path="/staff/recommendations" element={<Later><Recommendations /></Later>} />
        <Route path="/staff/announcements" element={<Later><Announcements /></Later>} />
        <Route path="/staff/featured" element={<Later><Featured /></Later>} />
        <Route path="/accounts/password/forgot" element={<ForgotPassword />} />
        <Route path="/accounts/password/reset" element={<ResetPassword />} />
        <Route path="/accounts/email/revert" element={<RevertEmail />} />
        <Route path="/:username" element={<Profile />} />
        <Route path="/:username/followers" element={<FollowList kind="followers" />} />
        <Route path="/:username/following" element={<FollowList kind="following" />} />
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}
