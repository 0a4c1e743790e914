#pragma once
// smppgw::store::compact_vector — a vector in 8 bytes: one pointer to a heap block that holds
// the size, the capacity and the elements, null when empty.
//
// For the short lists every message in flight carries (its parts, its state history): the
// 24 bytes of std::vector's three pointers, a million times over, decide which allocator size
// class a message falls in. Growth is by one element while the list is short (a history gains
// one event per transition; a message has one part or a few), by half beyond eight, so a
// short list holds no spare capacity.
//
// Thread rule: a value type; the usual rules for sharing one between threads.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <new>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace smppgw::store {

template <typename T>
class compact_vector {
    static_assert(alignof(T) <= alignof(std::max_align_t));

public:
    using value_type = T;
    using size_type = std::size_t;
    using iterator = T*;
    using const_iterator = const T*;
    using reference = T&;
    using const_reference = const T&;

    compact_vector() noexcept = default;
    compact_vector(std::initializer_list<T> items) { append_copies(items.begin(), items.end()); }
    compact_vector(const compact_vector& other) { append_copies(other.begin(), other.end()); }
    compact_vector(compact_vector&& other) noexcept : block_(std::exchange(other.block_, nullptr)) {}
    compact_vector& operator=(const compact_vector& other) {
        if (this != &other) {
            compact_vector copy(other);
            swap(copy);
        }
        return *this;
    }
    compact_vector& operator=(compact_vector&& other) noexcept {
        compact_vector taken(std::move(other));
        swap(taken);
        return *this;
    }
    compact_vector& operator=(std::initializer_list<T> items) {
        compact_vector copy(items);
        swap(copy);
        return *this;
    }
    ~compact_vector() { free_block(); }

    void swap(compact_vector& other) noexcept { std::swap(block_, other.block_); }

    [[nodiscard]] size_type size() const noexcept { return block_ == nullptr ? 0 : block_->size; }
    [[nodiscard]] size_type capacity() const noexcept {
        return block_ == nullptr ? 0 : block_->capacity;
    }
    [[nodiscard]] bool empty() const noexcept { return size() == 0; }

    [[nodiscard]] T* data() noexcept { return block_ == nullptr ? nullptr : items(block_); }
    [[nodiscard]] const T* data() const noexcept {
        return block_ == nullptr ? nullptr : items(block_);
    }
    [[nodiscard]] iterator begin() noexcept { return data(); }
    [[nodiscard]] iterator end() noexcept { return data() + size(); }
    [[nodiscard]] const_iterator begin() const noexcept { return data(); }
    [[nodiscard]] const_iterator end() const noexcept { return data() + size(); }
    [[nodiscard]] T& operator[](size_type i) noexcept { return data()[i]; }
    [[nodiscard]] const T& operator[](size_type i) const noexcept { return data()[i]; }
    [[nodiscard]] T& front() noexcept { return data()[0]; }
    [[nodiscard]] const T& front() const noexcept { return data()[0]; }
    [[nodiscard]] T& back() noexcept { return data()[size() - 1]; }
    [[nodiscard]] const T& back() const noexcept { return data()[size() - 1]; }

    void reserve(size_type n) {
        if (n > capacity()) {
            reallocate(n);
        }
    }

    template <typename... Args>
    T& emplace_back(Args&&... args) {
        T item(std::forward<Args>(args)...);  // args may refer to an element of this vector
        if (size() == capacity()) {
            reallocate(grown(size()));
        }
        T* slot = items(block_) + block_->size;
        std::construct_at(slot, std::move(item));
        ++block_->size;
        return *slot;
    }
    void push_back(const T& item) { emplace_back(item); }
    void push_back(T&& item) { emplace_back(std::move(item)); }
    void pop_back() noexcept {
        std::destroy_at(&back());
        --block_->size;
    }

    // Shrinks, or grows with value-initialized elements.
    void resize(size_type n) {
        resize_with(n, [](T* slot) { std::construct_at(slot); });
    }
    void resize(size_type n, const T& value) {
        resize_with(n, [&value](T* slot) { std::construct_at(slot, value); });
    }
    void assign(size_type n, const T& value) {
        compact_vector fresh;
        fresh.resize(n, value);
        swap(fresh);
    }
    // Frees the block: an empty list costs nothing but its pointer.
    void clear() noexcept { free_block(); }

    iterator erase(const_iterator first, const_iterator last) {
        T* from = begin() + (first - begin());
        const auto removed = static_cast<size_type>(last - first);
        if (removed == 0) {
            return from;
        }
        T* const tail = std::move(from + removed, end(), from);
        std::destroy(tail, end());
        block_->size -= static_cast<std::uint32_t>(removed);
        return from;
    }
    iterator erase(const_iterator at) { return erase(at, at + 1); }

    friend bool operator==(const compact_vector& a, const compact_vector& b) {
        return std::equal(a.begin(), a.end(), b.begin(), b.end());
    }

private:
    // The elements start at the first multiple of their alignment past the header.
    struct header {
        std::uint32_t size;
        std::uint32_t capacity;
    };
    static constexpr std::size_t items_offset =
        (sizeof(header) + alignof(T) - 1) / alignof(T) * alignof(T);

    static T* items(header* h) noexcept {
        return std::launder(reinterpret_cast<T*>(reinterpret_cast<std::byte*>(h) + items_offset));
    }
    static size_type grown(size_type n) noexcept { return n < 8 ? n + 1 : n + n / 2; }

    void reallocate(size_type cap) {
        if (cap > UINT32_MAX) {
            throw std::length_error("compact_vector: too many elements");
        }
        auto* fresh = static_cast<header*>(::operator new(items_offset + cap * sizeof(T)));
        fresh->capacity = static_cast<std::uint32_t>(cap);
        fresh->size = 0;
        if (block_ != nullptr) {
            std::uninitialized_move(begin(), end(), items(fresh));
            fresh->size = block_->size;
            free_block();
        }
        block_ = fresh;
    }

    template <typename Make>
    void resize_with(size_type n, Make make) {
        if (n <= size()) {
            if (n == 0) {
                free_block();
                return;
            }
            std::destroy(begin() + n, end());
            block_->size = static_cast<std::uint32_t>(n);
            return;
        }
        reserve(n);
        while (block_->size < n) {
            make(items(block_) + block_->size);
            ++block_->size;
        }
    }

    template <typename It>
    void append_copies(It first, It last) {
        reserve(static_cast<size_type>(std::distance(first, last)));
        for (; first != last; ++first) {
            std::construct_at(items(block_) + block_->size, *first);
            ++block_->size;
        }
    }

    void free_block() noexcept {
        if (block_ != nullptr) {
            std::destroy(begin(), end());
            ::operator delete(block_);
            block_ = nullptr;
        }
    }

    header* block_ = nullptr;
};

}  // namespace smppgw::store
