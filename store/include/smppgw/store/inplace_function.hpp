#pragma once
// A move-only callable stored inline (no heap allocation), for the completions that ride along
// with every journal record: std::function would allocate for any capture larger than two
// pointers, i.e. once per message per transition.
//
// Capacity is fixed at compile time; a callable that does not fit is a compile error, not a
// silent fallback to the heap.

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace smppgw::store {

template <typename Signature, std::size_t Capacity = 64>
class inplace_function;

template <typename R, typename... Args, std::size_t Capacity>
class inplace_function<R(Args...), Capacity> {
public:
    inplace_function() noexcept = default;
    inplace_function(std::nullptr_t) noexcept {}  // NOLINT(google-explicit-constructor)

    template <typename F, typename D = std::decay_t<F>,
              typename = std::enable_if_t<!std::is_same_v<D, inplace_function> &&
                                          std::is_invocable_r_v<R, D&, Args...>>>
    inplace_function(F&& f) {  // NOLINT(google-explicit-constructor)
        static_assert(sizeof(D) <= Capacity, "callable too large for this inplace_function");
        static_assert(alignof(D) <= alignof(std::max_align_t), "callable over-aligned");
        // (std::function, which some captures hold, does not promise a noexcept move; none of
        // ours throws on a move, and one that did would end the process.)
        static_assert(std::is_move_constructible_v<D>, "callable must be movable");
        ::new (static_cast<void*>(&storage_)) D(std::forward<F>(f));
        ops_ = &ops_for<D>;
    }

    inplace_function(inplace_function&& other) noexcept { take(other); }
    inplace_function& operator=(inplace_function&& other) noexcept {
        if (this != &other) {
            reset();
            take(other);
        }
        return *this;
    }
    inplace_function(const inplace_function&) = delete;
    inplace_function& operator=(const inplace_function&) = delete;
    ~inplace_function() { reset(); }

    explicit operator bool() const noexcept { return ops_ != nullptr; }

    R operator()(Args... args) { return ops_->call(&storage_, std::forward<Args>(args)...); }

    void reset() noexcept {
        if (ops_ != nullptr) {
            ops_->destroy(&storage_);
            ops_ = nullptr;
        }
    }

private:
    struct ops {
        R (*call)(void*, Args&&...);
        void (*move)(void* from, void* to) noexcept;
        void (*destroy)(void*) noexcept;
    };

    template <typename D>
    static constexpr ops ops_for{
        [](void* p, Args&&... args) -> R {
            return (*static_cast<D*>(p))(std::forward<Args>(args)...);
        },
        [](void* from, void* to) noexcept {
            ::new (to) D(std::move(*static_cast<D*>(from)));
            static_cast<D*>(from)->~D();
        },
        [](void* p) noexcept { static_cast<D*>(p)->~D(); },
    };

    void take(inplace_function& other) noexcept {
        if (other.ops_ != nullptr) {
            other.ops_->move(&other.storage_, &storage_);
            ops_ = other.ops_;
            other.ops_ = nullptr;
        }
    }

    alignas(std::max_align_t) unsigned char storage_[Capacity];
    const ops* ops_ = nullptr;
};

}  // namespace smppgw::store
