/** Every route of the app. Signed-in screens sit behind RequireAuth; profiles and posts are public
 * (the API decides what an anonymous or blocked viewer may see). */
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
